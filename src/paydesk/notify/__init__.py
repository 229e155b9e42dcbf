"""paydesk.notify"""
