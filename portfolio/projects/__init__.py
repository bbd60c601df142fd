"""The project register: one project shape, its services, forms and pages."""
