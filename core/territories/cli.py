from flask.cli import AppGroup

territories_cli = AppGroup("territories")
