"""Writers: serialize a Trial into each output format (see :mod:`trialexport.targets`)."""
