"""Meeting pages, one module per audience: staff (task force and leaders), portal (firms), documents."""
