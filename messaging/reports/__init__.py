"""Reports: how much the organization texts, whether its texts arrive, how fast it answers.

``models`` holds the rollups the database keeps on every write (triggers: no service knows they exist);
``ranges`` the periods; ``figures`` the reads (a handful of queries whatever the volume); ``charts`` the SVG.
"""
