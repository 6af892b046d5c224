"""Three extension modules; importing the package loads none of them."""
