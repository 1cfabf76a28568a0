"""Mechanism of the CDISC ODM writers: trial model -> neutral EDC/TS spec -> ODM 1.3.2 or 2.0 XML.

The correspondences themselves live in ``mappings/odm/*.csv`` and ``mappings/crosswalks/*.csv``;
this package only reads them (named transforms, OID generation, element assembly).
"""
