"""Tell: what the team did about what customers said. The weekly report's data and the
changelog site (``report_stage``), rendering and publishing (``publish``), customer
notifications (``notify``) and notebook plots (``plots``)."""
