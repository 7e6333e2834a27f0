from isk_reconcile.cli import main

main()
