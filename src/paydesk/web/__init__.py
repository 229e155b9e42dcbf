"""paydesk.web"""
