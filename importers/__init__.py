"""Reading portfolio workbooks: openpyxl -> typed rows and problems. Never imports Flask."""
