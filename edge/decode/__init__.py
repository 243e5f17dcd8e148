"""Barcodes read on the edge from photos and fixed cameras (docs/decoding.md).

engines.py   zxing-cpp and pyzbar behind one interface (Code: text, symbology, AIM id, corners)
regions.py   where in a frame a code probably is (OpenCV)
pipeline.py  which engine sees which version of the image, chosen by measurement
images.py    uploaded bytes -> grayscale, refusing non-images and decompression bombs
station.py   the dock camera loop; records.py what the edge stores about stations
"""
