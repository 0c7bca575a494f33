from services.channels.linedev.server import main

raise SystemExit(main())
