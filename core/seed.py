from flask.cli import AppGroup

seed_cli = AppGroup("seed", help="Demo data.")
