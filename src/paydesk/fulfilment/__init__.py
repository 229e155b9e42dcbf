"""paydesk.fulfilment"""
