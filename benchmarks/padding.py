"""How much padding to a multiple of 2^(S-1) (ours) instead of the reference's 2^S changes a restored image.

    .venv/bin/python benchmarks/padding.py

A smooth synthetic 50x70 RGB image (ours pads it to 56x72, the reference to 64x80), restored x2 by the shipped
`scn_small_x2.bicubic` weights built with align_corners False (as trained) and True (the reference's setting).
Prints the largest output difference over the whole image and 16 pixels in from its border (docs/models.md).
"""

from __future__ import annotations

import torch

import scn
from scn.layers.geometry import pad_to_multiple

torch.set_num_threads(1)
trained = scn.resolve("scn_small_x2.bicubic").load()
yy, xx = torch.meshgrid(torch.linspace(0, 1, 50), torch.linspace(0, 1, 70), indexing="ij")
x = torch.stack([0.5 + 0.3 * torch.sin(3 * yy + 2 * xx), 0.5 + 0.3 * torch.cos(2 * yy - xx), 0.4 + 0.4 * yy * xx])[None]
reference_multiple = 2 ** trained.config.num_scales
for align_corners in (False, True):
    model = scn.build(trained.config.replace(align_corners=align_corners))
    model.load_state_dict(trained.state_dict())
    model.eval()
    with torch.no_grad():
        ours = model(x)
        reference = model(pad_to_multiple(x, reference_multiple))[..., : ours.shape[-2], : ours.shape[-1]]
    diff = (ours - reference).abs()
    print(f"align_corners={align_corners}: max |difference| {diff.max():.4f} over the image, "
          f"{diff[..., 16:-16, 16:-16].max():.4f} 16 px in from the border (of 1.0; 1/255 = 0.0039)")
