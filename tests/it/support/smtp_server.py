"""A real SMTP server for tests, built on aiosmtpd: STARTTLS or implicit TLS with a throwaway CA,
AUTH PLAIN/LOGIN, scripted refusals, and a log that says whether each step was encrypted.

    python3 tests/it/support/smtp_server.py --port P --dir DIR [--tls-ca-out CA.pem]
        [--starttls | --implicit-tls] [--auth USER:PASS] [--require-auth]
        [--reject-rcpt SUBSTR]... [--reject-rcpt-reply REPLY] [--defer-rcpt SUBSTR]...
        [--mail-reply REPLY] [--data-command-reply REPLY]
        [--fail-data-after N] [--fail-data-reply "451 4.3.0 ..." | --fail-data-reply disconnect]
        [--pipelining] [--reply-delay MS] [--drop-after-354 N]

Listens on 127.0.0.1:P (P = 0 picks a free port) and prints one line `READY <port>` on stdout once
it accepts connections. Exits with status 0 on SIGTERM or SIGINT.

What it writes in DIR:
  <n>.eml     each accepted message, n = 1, 2, ...: the bytes received after DATA exactly as the
              client sent them (CRLF kept, bare CR or LF kept), minus the final "." line and with
              dot-stuffing undone (aiosmtpd's `envelope.original_content`). Written before the 250.
  log.jsonl   one JSON object per line, appended (and flushed) before the reply it describes is
              sent: {"event": E, "tls": bool, "detail": {...}, "at": seconds} where "at" is
              when it was logged (a monotonic clock: only differences mean anything) and
                E = "ehlo" | "starttls" | "auth" | "mail" | "rcpt" | "data" for each such command
                    the client sent, whatever its outcome (so AUTH or MAIL sent on a plain
                    connection is logged with "tls": false even though it was refused);
                E = "reject" once more, after the command's own line, whenever the server's reply
                    to it is 4xx/5xx (detail: command, reply).
              "tls" is whether the connection was encrypted when the command arrived.
              detail always has "reply" (the final reply line, or null if the client went away
              first) and per event: ehlo: host, extensions (the advertised lines); auth:
              mechanism, user (only once authenticated; never a password); mail: address;
              rcpt: address; data: file ("3.eml" or null), mail_from, rcpt_tos, size.
  server.stderr is where the Rust harness sends this process's stderr.

Replies: wrong credentials `535 5.7.8 Authentication credentials invalid`; with --require-auth,
MAIL/RCPT/DATA before AUTH `530 5.7.0 Authentication required`; AUTH on a plain connection
`538 5.7.11 Encryption required ...` (aiosmtpd's default, kept: real relays do the same; AUTH is
then not even advertised); --reject-rcpt: `550 5.1.1 User unknown` (or --reject-rcpt-reply); --defer-rcpt:
`451 4.3.0 Try again later`; --fail-data-after N: the first N messages are accepted, every later
DATA gets --fail-data-reply (default `451 4.3.0 Try again later`; `disconnect` drops the connection
after the data without any reply). --mail-reply: every MAIL FROM gets this reply (e.g. `550 5.7.1 Sender not permitted`);
--data-command-reply: every DATA command gets this reply instead of 354. Lines longer than 1000 octets get aiosmtpd's `500 Line too
long`, as RFC 5321 allows.

--chunking: EHLO offers CHUNKING (RFC 3030) though BDAT is not understood (aiosmtpd answers it
500): a client that sends BDAT to it loses the message, one that keeps to DATA does not.
--pipelining: EHLO offers PIPELINING (RFC 2920; aiosmtpd reads pipelined commands either way,
but does not offer it). The log then tells how the client wrote: "mail", "rcpt" and "data" carry
"pipelined": whether more of the client's bytes had already arrived when the command was read
(for "data": when the end of the data was read, i.e. the next command came in the same write).
--reply-delay MS: every reply leaves MS milliseconds after its command arrived, without holding
up the commands behind it: a relay far away (a 2×MS round trip is not modelled; MS per reply
is), where a client that waits for each reply pays MS per command and one that pipelines pays
MS per group. Not with --starttls. --drop-after-354 N: the first N messages are accepted; every
later DATA gets its 354 and then the connection is dropped before any data is read.
"""

import argparse
import asyncio
import json
import logging
import os
import signal
import ssl
import sys
import time

try:
    from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword
    import trustme
except ImportError as e:  # pragma: no cover
    sys.stderr.write(
        f"smtp_server.py: {e}: Python packages aiosmtpd and trustme are needed; "
        "run scripts/install-test-deps\n"
    )
    sys.exit(3)

HOSTNAME = "localhost"  # also avoids socket.getfqdn(), which can stall with no DNS


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--tls-ca-out")
    tls = p.add_mutually_exclusive_group()
    tls.add_argument("--starttls", action="store_true")
    tls.add_argument("--implicit-tls", action="store_true")
    p.add_argument("--auth", metavar="USER:PASS")
    p.add_argument("--require-auth", action="store_true")
    p.add_argument("--reject-rcpt", action="append", default=[], metavar="SUBSTR")
    p.add_argument("--reject-rcpt-reply", default="550 5.1.1 User unknown")
    p.add_argument("--defer-rcpt", action="append", default=[], metavar="SUBSTR")
    p.add_argument("--mail-reply", metavar="REPLY")
    p.add_argument("--data-command-reply", metavar="REPLY")
    p.add_argument("--fail-data-after", type=int, metavar="N")
    p.add_argument("--fail-data-reply", default="451 4.3.0 Try again later")
    p.add_argument("--pipelining", action="store_true")
    p.add_argument("--chunking", action="store_true")
    p.add_argument("--reply-delay", type=int, default=0, metavar="MS")
    p.add_argument("--drop-after-354", type=int, metavar="N")
    a = p.parse_args(argv)
    if a.reply_delay and a.starttls:
        p.error("--reply-delay does not go with --starttls")
    if a.auth is not None and ":" not in a.auth:
        p.error("--auth wants USER:PASS")
    if a.require_auth and a.auth is None:
        p.error("--require-auth needs --auth USER:PASS")
    return a


class State:
    """What every connection shares: options, the message counter and the log."""

    def __init__(self, args):
        self.args = args
        self.dir = args.dir
        os.makedirs(self.dir, exist_ok=True)
        self.log_file = open(os.path.join(self.dir, "log.jsonl"), "a", encoding="utf-8")
        self.accepted = 0
        if args.auth is not None:
            user, password = args.auth.split(":", 1)
            self.credentials = (user.encode(), password.encode())
        else:
            self.credentials = None

    def log(self, event, tls, detail):
        entry = {"event": event, "tls": tls, "detail": detail, "at": round(time.monotonic(), 4)}
        line = json.dumps(entry, ensure_ascii=False)
        self.log_file.write(line + "\n")
        self.log_file.flush()


class Handler:
    """aiosmtpd hooks: policy decisions and storing messages."""

    def __init__(self, state):
        self.state = state

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        if self.state.credentials is None:
            # No --auth: advertise no AUTH at all, like a relay without accounts.
            responses = [r for r in responses if not r[4:].upper().startswith("AUTH")]
        if self.state.args.pipelining:
            responses = responses[:-1] + ["250-PIPELINING"] + responses[-1:]
        if self.state.args.chunking:
            responses = responses[:-1] + ["250-CHUNKING"] + responses[-1:]
        return responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.state.args.mail_reply:
            return self.state.args.mail_reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        args = self.state.args
        if any(s in address for s in args.reject_rcpt):
            return args.reject_rcpt_reply
        if any(s in address for s in args.defer_rcpt):
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        st = self.state
        content = envelope.original_content
        server.pending_detail.update(
            mail_from=envelope.mail_from, rcpt_tos=list(envelope.rcpt_tos), size=len(content)
        )
        if st.args.pipelining:
            server.pending_detail["pipelined"] = server.more_received()
        limit = st.args.fail_data_after
        if limit is not None and st.accepted >= limit:
            if st.args.fail_data_reply == "disconnect":
                server.pending_detail["disconnect"] = True
                server.log_pending(None)
                server.transport.abort()
                await asyncio.sleep(3600)  # cancelled by connection_lost: no reply is ever sent
            return st.args.fail_data_reply
        st.accepted += 1
        name = f"{st.accepted}.eml"
        path = os.path.join(st.dir, name)
        with open(path + ".part", "wb") as f:
            f.write(content)
        os.replace(path + ".part", path)
        server.pending_detail["file"] = name
        return "250 OK"


def authenticator(state):
    def check(server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == state.credentials:
            return AuthResult(success=True, auth_data=auth_data)
        return AuthResult(success=False, handled=False)

    return check


class LoggingSMTP(SMTP):
    """aiosmtpd's SMTP, logging each command with whether the connection was encrypted, just
    before its final reply goes out (so a test that has seen the reply can read the line)."""

    def __init__(self, handler, state, **kw):
        super().__init__(handler, **kw)
        self.state = state
        self.pending = None  # (event, tls) of the command being answered
        self.pending_detail = {}
        self.pushed = []
        self.delayed = None  # replies waiting out --reply-delay: a queue and its writer task

    def encrypted(self):
        t = self.transport
        return t is not None and t.get_extra_info("ssl_object") is not None

    def connection_made(self, transport):
        super().connection_made(transport)
        # Implicit TLS (SMTPS): aiosmtpd only counts STARTTLS as encryption when deciding to
        # allow AUTH; the connection is encrypted from the first byte, so allow it here.
        if self._tls_protocol is None and transport.get_extra_info("ssl_object") is not None:
            self._auth_require_tls = False

    def log_pending(self, reply):
        if self.pending is None:
            return
        event, tls = self.pending
        detail = dict(self.pending_detail, reply=reply)
        if event == "ehlo":
            detail["extensions"] = [p[4:] for p in self.pushed[1:]]
        if event == "auth" and self.session is not None and self.session.authenticated:
            detail["user"] = self.session.auth_data.login.decode("utf-8", "replace")
        self.pending = None
        self.state.log(event, tls, detail)
        if reply is not None and reply[:1] in ("4", "5"):
            self.state.log("reject", tls, {"command": event, "reply": reply})

    def more_received(self):
        """Whether bytes beyond what was read so far have already arrived from the client."""
        buffered = getattr(self._reader, "_buffer", None)
        return bool(buffered)

    def connection_lost(self, exc):
        if self.delayed is not None:
            self.delayed[1].cancel()
        super().connection_lost(exc)

    async def push(self, status):
        text = status.decode("utf-8", "replace") if isinstance(status, bytes) else status
        if self.pending is not None:
            self.pushed.append(text)
            if not (text[3:4] == "-" or text[:3] in ("334", "354")):  # a final reply
                self.log_pending(text)
        delay = self.state.args.reply_delay
        if delay:
            self.push_later(text, delay / 1000)
        else:
            await super().push(status)

    def push_later(self, text, delay):
        """Queue a reply to leave `delay` seconds from now, in order, without waiting for it."""
        loop = asyncio.get_running_loop()
        if self.delayed is None:
            queue = asyncio.Queue()

            async def writer():
                while True:
                    due, data = await queue.get()
                    await asyncio.sleep(max(0.0, due - loop.time()))
                    if self.transport is None or self.transport.is_closing():
                        return
                    self._writer.write(data)

            self.delayed = (queue, loop.create_task(writer()))
        self.delayed[0].put_nowait((loop.time() + delay, text.encode("utf-8") + b"\r\n"))

    async def run_logged(self, event, detail, method, arg):
        self.pending = (event, self.encrypted())
        self.pending_detail = detail
        self.pushed = []
        try:
            await method(arg)
        finally:
            self.log_pending(None)  # the client went away before the reply

    async def smtp_EHLO(self, hostname):
        await self.run_logged("ehlo", {"host": hostname}, super().smtp_EHLO, hostname)

    async def smtp_STARTTLS(self, arg):
        await self.run_logged("starttls", {}, super().smtp_STARTTLS, arg)

    async def smtp_AUTH(self, arg):
        mechanism = (arg or "").split(" ")[0].upper()
        await self.run_logged("auth", {"mechanism": mechanism}, super().smtp_AUTH, arg)

    def command_detail(self, detail):
        if self.state.args.pipelining:
            detail["pipelined"] = self.more_received()
        return detail

    async def smtp_MAIL(self, arg):
        detail = self.command_detail({"address": address_of(arg, "FROM:")})
        await self.run_logged("mail", detail, super().smtp_MAIL, arg)

    async def smtp_RCPT(self, arg):
        detail = self.command_detail({"address": address_of(arg, "TO:")})
        await self.run_logged("rcpt", detail, super().smtp_RCPT, arg)

    async def smtp_DATA(self, arg):
        refuse = self.state.args.data_command_reply
        if refuse and self.envelope is not None and self.envelope.rcpt_tos:
            await self.run_logged("data", {"file": None}, self.push, refuse)
            return
        drop = self.state.args.drop_after_354
        if drop is not None and self.envelope is not None and self.envelope.rcpt_tos \
                and self.state.accepted >= drop:
            await self.run_logged("data", {"file": None, "disconnect": "after 354"}, self.drop_after_354, arg)
            return
        await self.run_logged("data", {"file": None}, super().smtp_DATA, arg)

    async def drop_after_354(self, arg):
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        await asyncio.sleep(0.05 + self.state.args.reply_delay / 1000)  # the 354 leaves first
        self.transport.abort()


def address_of(arg, keyword):
    """The address in `FROM:<a@b> SIZE=1` as the client wrote it (for the log only)."""
    if not arg:
        return None
    rest = arg.strip()
    if rest.upper().startswith(keyword):
        rest = rest[len(keyword):].strip()
    if rest.startswith("<"):
        end = rest.find(">")
        return rest[1:end] if end >= 0 else rest[1:]
    return rest.split(" ")[0]


def tls_context(args):
    ca = trustme.CA()
    cert = ca.issue_cert("localhost", "127.0.0.1")
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(ctx)
    if args.tls_ca_out:
        ca.cert_pem.write_to_path(args.tls_ca_out)
    return ctx


async def main(args):
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    # aiosmtpd warns about its own internal use of a deprecated attribute on every AUTH.
    logging.getLogger("mail.log").addFilter(lambda r: "login_data is deprecated" not in r.getMessage())
    state = State(args)
    handler = Handler(state)
    ctx = tls_context(args) if (args.starttls or args.implicit_tls) else None
    loop = asyncio.get_running_loop()

    def factory():
        return LoggingSMTP(
            handler,
            state,
            hostname=HOSTNAME,
            tls_context=ctx if args.starttls else None,
            authenticator=authenticator(state) if state.credentials else None,
            auth_required=args.require_auth,
            loop=loop,
        )

    server = await loop.create_server(
        factory, host="127.0.0.1", port=args.port, ssl=ctx if args.implicit_tls else None
    )
    port = server.sockets[0].getsockname()[1]
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    sys.stdout.write(f"READY {port}\n")
    sys.stdout.flush()
    await stop.wait()
    server.close()
    state.log_file.close()


if __name__ == "__main__":
    asyncio.run(main(parse_args(sys.argv[1:])))
