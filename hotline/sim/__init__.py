"""hotline.sim: a simulated Asterisk 22 that runs config/asterisk/extensions.conf.

SimPBX speaks FastAGI to our server over TCP and exposes the AMI-facing interface that
hotline.sim.ami_server serves byte-compatibly with the reference captures.
"""

from hotline.sim.ami_server import AmiServer
from hotline.sim.errors import DialplanError, NoSuchChannel, SimError
from hotline.sim.events import Headers, OriginateResult, originate_response
from hotline.sim.pbx import SimPBX
from hotline.sim.people import CallSummary, SimCall, SimCaller, SimOperator
from hotline.sim.sounds import FixedSounds, SoundLibrary, WavSounds

__all__ = [
    "AmiServer",
    "CallSummary",
    "DialplanError",
    "FixedSounds",
    "Headers",
    "NoSuchChannel",
    "OriginateResult",
    "SimCall",
    "SimCaller",
    "SimError",
    "SimOperator",
    "SimPBX",
    "SoundLibrary",
    "WavSounds",
    "originate_response",
]
