"""paydesk.catalog"""
