from dualpy.cli import main

raise SystemExit(main())
