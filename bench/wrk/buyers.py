"""Write N buyers (token<TAB>body, one a line) for pay.lua: distinct users, each with its
own device, card and human sessionData, one ticket each, signed with the service's key.

    python bench/wrk/buyers.py TENANT VENUE EVENT COUNT OUT
"""

import datetime as dt
import json
import random
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from pre_payment_checks import human_session

from tt_payments import Settings
from tt_payments.auth.identity import Role
from tt_payments.bootstrap import token_service

tenant, venue, event, count, out = (
    sys.argv[1],
    sys.argv[2],
    sys.argv[3],
    int(sys.argv[4]),
    sys.argv[5],
)
tokens = token_service(Settings.from_env())
rng = random.Random(20261202)
with open(out, "w") as f:
    for i in range(count):
        token = tokens.issue(
            subject=uuid.uuid4(),
            tenant_id=uuid.UUID(tenant),
            role=Role.USER,
            venues=(),
            ttl=dt.timedelta(hours=1),
        )
        body = {
            "venueId": venue,
            "eventId": event,
            "tickets": [{"ticketTypeId": event, "quantity": 1, "price": 5000}],
            # Each buyer its own card, as in a real on-sale (the simulator's pm_sim_ ids).
            "paymentMethod": {"type": "card", "paymentMethodId": f"pm_sim_bench_{i:06d}"},
            "deviceFingerprint": f"bench-device-{i}-{rng.getrandbits(48):012x}",
            "sessionData": human_session(rng, i),
        }
        f.write(token + "\t" + json.dumps(body, separators=(",", ":")) + "\n")
