from flask.cli import AppGroup

authorities_cli = AppGroup("authorities")
