"""Seeded, realistic logs for the discovery benchmark, in every format the engine parses.

Kept apart from the measurement harness (bench_discovery.py) so the generators can be read, and
tested (tests/discovery/test_bench_generator.py), on their own. One organisation's traffic is drawn
once per line and written in each format's own layout: Zipf-distributed hosts (catalog services with
tenant subdomains interleaved with a long tail of unknown sites), thousands of users on DHCP pools,
heavy-tailed sizes and timestamps advancing through one day. Everything is seeded, so a format,
line count and seed always give the same file, byte for byte (gzip included: no timestamp).
"""

from __future__ import annotations

import base64
import bisect
import functools
import gzip
import io
import random
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple, TextIO

from kijun.discovery.catalog import load_catalog

SEED = 20240501
START = 1714521600.0  # 2024-05-01T00:00:00Z
JST = 9 * 3600
# bench name -> the format auto-detection must report for it
FORMATS: dict[str, str] = {
    "squid": "squid",
    "squid-gz": "squid",
    "squid-common": "squid-common",
    "squid-combined": "squid-combined",
    "w3c": "w3c",
    "zeek-http": "zeek",
    "zeek-dns": "zeek",
    "zeek-json": "zeek",
    "bind": "bind",
    "nss": "nss",
    "csv": "csv",
}
# gzip-compressed variants -> the layout they hold: proxies rotate their logs into .gz files, which
# the engine reads on its SQL path too (level 1 keeps generation fast; reading speed barely depends on it)
GZIP = {"squid-gz": "squid"}
SUFFIX = {"squid-gz": ".log.gz", "zeek-json": ".json", "csv": ".csv"}
MON = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 "
    "Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 "
    "Safari/537.36 Edg/124.0.2478.80",
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17531; Pro)",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "
    "Safari/537.36 Teams/24004.1403.2634.2418/49",
    "Microsoft-CryptoAPI/10.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4.1 Mobile/15E148 Safari/604.1",
)
PATHS = (
    "/",
    "/index.html",
    "/api/v1/items/{n}",
    "/static/js/app.{n:x}.js",
    "/images/{n}.png",
    "/ja/news/{n}",
)
MIME = {".js": "application/javascript", ".png": "image/png"}
CATEGORIES = ("Technology/Internet", "Business/Economy", "File Storage/Sharing", "News", "Web Ads/Analytics")
REASON = {200: "OK", 302: "Found", 304: "Not Modified", 403: "Forbidden", 404: "Not Found"}
SQUID_CODE = {
    200: "TCP_MISS",
    302: "TCP_MISS",
    304: "TCP_REFRESH_UNMODIFIED",
    403: "TCP_DENIED",
    404: "TCP_MISS",
}
PROXY = "10.0.0.8"  # the explicit proxy Zeek sees the clients talk to
RESOLVER = "10.0.0.53"


def _hosts(rng: random.Random) -> list[str]:
    """Catalog hosts (with tenant subdomains) interleaved with a long tail of unknown sites."""
    cat = load_catalog()
    known: list[str] = []
    for app in cat.apps.values():
        for d in app.domains:
            known += [d, f"www.{d}", f"api.{d}"]
    for i in range(300):
        known += [f"agency{i}.cybozu.com", f"agency{i}-my.sharepoint.com", f"t{i}.slack.com"]
    unknown = []
    tlds = ["com", "jp", "co.jp", "net", "org", "go.jp", "lg.jp", "io"]
    for i in range(6000):
        base = f"site{i}.{rng.choice(tlds)}" if i % 3 else f"news{i}.example.{rng.choice(tlds)}"
        unknown += [base, f"cdn.{base}", f"img{i % 7}.{base}"]
    rng.shuffle(known)
    rng.shuffle(unknown)
    out = []
    for k, u in zip(known, unknown, strict=False):
        out += [k, u]
    return out + unknown[len(known) :]


def _zipf_cum(n: int, s: float = 1.1) -> list[float]:
    total, cum = 0.0, []
    for r in range(1, n + 1):
        total += 1.0 / r**s
        cum.append(total)
    return cum


def _app_names(hosts: list[str]) -> dict[str, str]:
    """Catalog name per host (longest suffix), "General Browsing" otherwise: NSS's appname."""
    cat = load_catalog()
    suffixes = cat.suffixes()
    out = {}
    for h in hosts:
        labels = h.split(".")
        app = next((suffixes[s] for i in range(len(labels)) if (s := ".".join(labels[i:])) in suffixes), None)
        out[h] = cat.apps[app].name_en if app else "General Browsing"
    return out


class Hit(NamedTuple):
    """One request, drawn once and written in each format's own layout."""

    ts: float
    ip: str
    user: str
    auth: bool  # the proxy authenticated the user (it logs "-" otherwise)
    host: str
    tls: bool  # an HTTPS tunnel (CONNECT) rather than a plain-HTTP request
    method: str
    path: str
    status: int
    down: int
    up: int
    ms: int
    agent: str
    addr: str  # the server's address (198.18.0.0/15, the benchmarking range)
    app: str  # the catalog name, as NSS's appname
    n: int


@functools.lru_cache(maxsize=4)
def _tm(sec: int) -> time.struct_time:
    return time.gmtime(sec)


def _clf(sec: int) -> str:
    t = _tm(sec + JST)
    return (
        f"{t.tm_mday:02d}/{MON[t.tm_mon - 1]}/{t.tm_year}:{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0900"
    )


def _ymd_hms(sec: int, sep: str = " ") -> str:
    t = _tm(sec)
    return f"{t.tm_year}-{t.tm_mon:02d}-{t.tm_mday:02d}{sep}{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}"


def _uid(rng: random.Random, prefix: str = "C") -> str:
    """A Zeek connection/file id: a letter and 17 base62-looking characters."""
    return prefix + base64.b64encode(rng.randbytes(13), altchars=b"Xz").decode()[:17]


def _squid_tags(h: Hit) -> tuple[str, str]:
    code = "TCP_TUNNEL" if h.tls and h.status == 200 else SQUID_CODE[h.status]
    return code, "HIER_NONE" if h.status == 403 else "HIER_DIRECT"


def _url(h: Hit) -> str:
    return f"{h.host}:443" if h.tls else f"http://{h.host}{h.path}"


def w_squid(h: Hit, rng: random.Random) -> str:
    code, hier = _squid_tags(h)
    peer = f"{hier}/-" if h.status == 403 else f"{hier}/{h.addr}"
    mime = "-" if h.tls and h.status != 403 else MIME.get(h.path[h.path.rfind(".") :], "text/html")
    user = h.user if h.auth else "-"
    return (
        f"{h.ts:.3f} {h.ms:6d} {h.ip} {code}/{h.status} {h.down} {h.method} {_url(h)} {user} {peer} {mime}\n"
    )


def _clf_head(h: Hit) -> str:
    """``%>a %[ui %[un [%tl] "%rm %ru HTTP/%rv" %>Hs %<st``, shared by common and combined."""
    user = h.user if h.auth else "-"
    return f'{h.ip} - {user} [{_clf(int(h.ts))}] "{h.method} {_url(h)} HTTP/1.1" {h.status} {h.down}'


def w_squid_common(h: Hit, rng: random.Random) -> str:
    """Squid's ``common`` logformat, which ends in ``%Ss:%Sh``."""
    code, hier = _squid_tags(h)
    return f"{_clf_head(h)} {code}:{hier}\n"


def w_squid_combined(h: Hit, rng: random.Random) -> str:
    code, hier = _squid_tags(h)
    ref = "-" if h.tls or h.n % 3 == 0 else f"http://{h.host}/"
    return f'{_clf_head(h)} "{ref}" "{h.agent}" {code}:{hier}\n'


W3C_HEADER = (
    "#Software: SGOS 7.3.10.1\n#Version: 1.0\n#Start-Date: 2024-05-01 00:00:00\n#Date: 2024-05-01 00:00:00\n"
    "#Fields: date time time-taken c-ip cs-username cs-auth-group x-exception-id sc-filter-result "
    "cs-categories sc-status s-action cs-method cs-uri-scheme cs-host cs-uri-port cs-uri-path cs(User-Agent) "
    "s-ip sc-bytes cs-bytes\n"
)


def w_w3c(h: Hit, rng: random.Random) -> str:
    denied = h.status == 403
    exc, result = ("policy_denied", "DENIED") if denied else ("-", "OBSERVED")
    action = "TCP_DENIED" if denied else "TCP_TUNNELED" if h.tls else "TCP_NC_MISS"
    target = f"tcp {h.host} 443 /" if h.tls else f"http {h.host} 80 {h.path}"
    cat = CATEGORIES[len(h.host) % len(CATEGORIES)]
    user = h.user if h.auth else "-"
    return (
        f'{_ymd_hms(int(h.ts))} {h.ms} {h.ip} {user} - {exc} {result} "{cat}" {h.status} {action} {h.method} '
        f'{target} "{h.agent}" 192.0.2.10 {h.down} {h.up}\n'
    )


def _zeek_header(path: str, fields: str, types: str) -> str:
    fields, types = "\t".join(fields.split()), "\t".join(types.split())
    return (
        f"#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\t{path}\n"
        f"#open\t2024-05-01-00-00-00\n#fields\t{fields}\n#types\t{types}\n"
    )


ZEEK_HTTP_HEADER = _zeek_header(
    "http",
    "ts uid id.orig_h id.orig_p id.resp_h id.resp_p trans_depth method host uri referrer version "
    "user_agent origin request_body_len response_body_len status_code status_msg info_code info_msg tags "
    "username password proxied orig_fuids orig_filenames orig_mime_types resp_fuids resp_filenames "
    "resp_mime_types",
    "time string addr port addr port count string string string string string string string count count "
    "count string count string set[enum] string string set[string] vector[string] vector[string] "
    "vector[string] vector[string] vector[string] vector[string]",
)
ZEEK_DNS_HEADER = _zeek_header(
    "dns",
    "ts uid id.orig_h id.orig_p id.resp_h id.resp_p proto trans_id rtt query qclass qclass_name qtype "
    "qtype_name rcode rcode_name AA TC RD RA Z answers TTLs rejected",
    "time string addr port addr port enum count interval string count string count string count string bool "
    "bool bool bool count vector[string] vector[interval] bool",
)
ZEEK_CLOSE = "#close\t2024-05-02-00-00-00\n"


def w_zeek_http(h: Hit, rng: random.Random) -> str:
    """Zeek on the client segment of an explicit proxy: CONNECTs and absolute-URI requests."""
    if h.tls:
        host = uri = f"{h.host}:443"
        msg = "Connection established" if h.status == 200 else REASON[h.status]
        body, fuid, mime = 0, "-", "-"
    else:
        host, uri, msg, body = h.host, f"http://{h.host}{h.path}", REASON[h.status], h.down
        fuid, mime = (_uid(rng, "F"), "text/html") if h.status == 200 else ("-", "-")
    up = h.up if h.method == "POST" else 0
    port = rng.randint(49152, 65535)
    return (
        f"{h.ts:.6f}\t{_uid(rng)}\t{h.ip}\t{port}\t{PROXY}\t8080\t1\t{h.method}\t{host}\t{uri}\t-\t1.1\t"
        f"{h.agent}\t-\t{up}\t{body}\t{h.status}\t{msg}\t-\t-\t(empty)\t-\t-\t-\t-\t-\t-\t{fuid}\t-\t{mime}\n"
    )


def _qtype(h: Hit) -> tuple[int, str, str]:
    """DNS query type (number, name) and the answer Zeek prints for it."""
    r = h.n % 20
    if r < 11:
        return 1, "A", h.addr
    if r < 18:
        return 28, "AAAA", f"2001:db8:{zlib.crc32(h.host.encode()) & 0xFFFF:x}::{h.n % 250 + 1:x}"
    return 65, "HTTPS", "-"


def w_zeek_dns(h: Hit, rng: random.Random) -> str:
    code, name, answer = _qtype(h)
    nx = h.status == 404  # about 1% of lookups fail
    rcode, ttl = ("3\tNXDOMAIN", "-") if nx else ("0\tNOERROR", "300.000000" if answer != "-" else "-")
    return (
        f"{h.ts:.6f}\t{_uid(rng)}\t{h.ip}\t{rng.randint(49152, 65535)}\t{RESOLVER}\t53\tudp\t"
        f"{rng.randint(0, 65535)}\t{h.ms / 1e5:.6f}\t{h.host}\t1\tC_INTERNET\t{code}\t{name}\t{rcode}\t"
        f"F\tF\tT\tT\t0\t{'-' if nx else answer}\t{ttl}\tF\n"
    )


def w_zeek_json(h: Hit, rng: random.Random) -> str:
    """Zeek ``ssl.log`` as JSON lines (``LogAscii::use_json``), one TLS session with SNI per line."""
    ver, cipher = (
        ("TLSv13", "TLS_AES_128_GCM_SHA256")
        if h.n % 5
        else ("TLSv12", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")
    )
    alpn = ',"next_protocol":"h2"' if h.n % 3 else ""
    resumed = "true" if h.n % 7 == 0 else "false"
    return (
        f'{{"ts":{h.ts:.6f},"uid":"{_uid(rng)}","id.orig_h":"{h.ip}","id.orig_p":{rng.randint(49152, 65535)},'
        f'"id.resp_h":"{h.addr}","id.resp_p":443,"version":"{ver}","cipher":"{cipher}","curve":"x25519",'
        f'"server_name":"{h.host}","resumed":{resumed}{alpn},"established":true,"ssl_history":"CsiI"}}\n'
    )


def w_bind(h: Hit, rng: random.Random) -> str:
    """BIND 9.16 with ``print-category``/``print-severity``; local time (UTC on this resolver)."""
    _, qtype, _ = _qtype(h)
    sec = int(h.ts)
    t = _tm(sec)
    when = (
        f"{t.tm_mday:02d}-{MON[t.tm_mon - 1]}-{t.tm_year} {_ymd_hms(sec)[11:]}.{int(h.ts * 1000) % 1000:03d}"
    )
    flags = "+E(0)K" if h.n % 4 else "+E(0)DK" if h.n % 8 else "+"
    return (
        f"{when} queries: info: client @0x7f{rng.getrandbits(40):010x} {h.ip}#{rng.randint(1024, 65535)} "
        f"({h.host}): query: {h.host} IN {qtype} {flags} ({RESOLVER})\n"
    )


def w_nss(h: Hit, rng: random.Random) -> str:
    """Zscaler NSS web feed as tab-separated key=value (the layout the engine reads without a template).

    Zscaler authenticates every user; TLS it inspects is logged with the inner method, other
    tunnels as CONNECT. Times are the feed's zone without an offset (UTC here).
    """
    action = "Blocked" if h.status == 403 else "Allowed"
    method = ("CONNECT" if h.n % 2 else "GET") if h.tls else h.method
    appclass = "General Browsing" if h.app == "General Browsing" else "Enterprise"
    cat = CATEGORIES[len(h.host) % len(CATEGORIES)]
    url = f"{h.host}:443" if method == "CONNECT" else f"{h.host}{h.path}"
    return (
        f"time={time.asctime(_tm(int(h.ts)))}\tlogin={h.user}@agency.example.go.jp\t"
        f"proto={'HTTPS' if h.tls else 'HTTP'}\teurl={url}\taction={action}\tappname={h.app}\t"
        f"appclass={appclass}\treqsize={h.up}\trespsize={h.down}\turlcat={cat}\t"
        f"cip={h.ip}\treqmethod={method}\trespcode={h.status}\tua={h.agent}\t"
        f"dept=Policy Planning Division\tlocation=Kasumigaseki HQ\n"
    )


CSV_HEADER = "timestamp,user,src_ip,url,method,status,bytes_up,bytes_down\n"


def w_csv(h: Hit, rng: random.Random) -> str:
    """kijun CSV as exported by a TLS-inspecting gateway: full URLs, JST times with their offset."""
    method = "GET" if h.method == "CONNECT" else h.method
    scheme = "https" if h.tls else "http"
    up = "" if h.n % 50 == 0 else h.up  # some products leave the request size out
    user = h.user if h.auth else ""
    return (
        f"{_ymd_hms(int(h.ts) + JST, 'T')}+09:00,{user},{h.ip},{scheme}://{h.host}{h.path},{method},"
        f"{h.status},{up},{h.down}\n"
    )


WRITERS: dict[str, tuple[Callable[[Hit, random.Random], str], str, str]] = {
    # name: (line writer, header, trailer)
    "squid": (w_squid, "", ""),
    "squid-common": (w_squid_common, "", ""),
    "squid-combined": (w_squid_combined, "", ""),
    "w3c": (w_w3c, W3C_HEADER, ""),
    "zeek-http": (w_zeek_http, ZEEK_HTTP_HEADER, ZEEK_CLOSE),
    "zeek-dns": (w_zeek_dns, ZEEK_DNS_HEADER, ZEEK_CLOSE),
    "zeek-json": (w_zeek_json, "", ""),
    "bind": (w_bind, "", ""),
    "nss": (w_nss, "", ""),
    "csv": (w_csv, CSV_HEADER, ""),
}


@functools.lru_cache(maxsize=1)
def _population() -> tuple[list[str], list[float], dict[str, str], dict[str, str]]:
    """Hosts by Zipf rank, their cumulative weights, server addresses and NSS app names (read-only)."""
    hosts = _hosts(random.Random(SEED))
    addrs = {
        h: f"198.{18 + (c := zlib.crc32(h.encode())) % 2}.{c >> 8 & 255}.{c >> 16 & 255 or 1}" for h in hosts
    }
    return hosts, _zipf_cum(len(hosts)), addrs, _app_names(hosts)


POOL_BITS = 12
POOL = 1 << POOL_BITS


def _pool(rng: random.Random, mu: float, sigma: float) -> list[int]:
    return [int(rng.lognormvariate(mu, sigma)) for _ in range(POOL)]


def _status(rng: random.Random, tls: bool) -> int:
    r = rng.random()
    if tls:
        return 403 if r < 0.03 else 200
    return 200 if r < 0.8 else 304 if r < 0.88 else 302 if r < 0.93 else 404 if r < 0.97 else 403


def file_name(fmt: str) -> str:
    """The name a format's file is written under (the engine detects formats from content, not names)."""
    return f"{fmt}{SUFFIX.get(fmt, '.log')}"


def extra_lines(fmt: str) -> int:
    """Header and trailer lines ``generate`` writes around a format's events."""
    _, header, trailer = WRITERS[GZIP.get(fmt, fmt)]
    return header.count("\n") + trailer.count("\n")


def _open(path: Path, fmt: str) -> TextIO:
    """A text writer for ``path``, gzip-compressing the ``GZIP`` variants (mtime 0: the same bytes each run)."""
    if fmt in GZIP:
        raw = gzip.GzipFile(path, "wb", compresslevel=1, mtime=0)
        return io.TextIOWrapper(raw, encoding="utf-8")
    return open(path, "w", encoding="utf-8", buffering=1 << 20)


def generate(path: Path, fmt: str, lines: int, users: int = 4000, seed: int = SEED) -> int:
    """Write ``lines`` events in format ``fmt``; returns the number of header/trailer lines added.

    The host ranking is the same for every seed (one organisation); ``seed`` varies the draws.
    """
    write, header, trailer = WRITERS[GZIP.get(fmt, fmt)]
    hosts, cum, addrs, apps = _population()
    rng = random.Random(seed)
    names = [f"user{u:05d}" for u in range(users)]
    ips = [f"10.{1 + u // 60000 % 250}.{u // 240 % 250}.{10 + u % 240}" for u in range(users)]  # DHCP pools
    ucum = _zipf_cum(users, 0.6)
    step = 86400.0 / lines
    # heavy-tailed sizes and durations, drawn once into pools (a lognormal draw per line costs more
    # than writing the line); paths cycle through PATHS x 977 ids
    big, small, post, req = (
        _pool(rng, mu, sigma) for mu, sigma in ((9.5, 1.6), (8.5, 1.6), (9.0, 1.2), (6.8, 1.2))
    )
    ms = [int(rng.expovariate(1 / 250)) for _ in range(POOL)]
    paths = [PATHS[i % len(PATHS)].format(n=i % 977) for i in range(len(PATHS) * 977)]
    with _open(path, fmt) as f:
        f.write(header)
        done = 0
        while done < lines:
            k = min(100_000, lines - done)
            hs = rng.choices(hosts, cum_weights=cum, k=k)
            us = [bisect.bisect_left(ucum, rng.random() * ucum[-1]) for _ in range(k)]
            buf = []
            for j in range(k):
                n = done + j
                u, host = us[j], hs[j]
                tls = n % 4 != 0
                method = "CONNECT" if tls else "POST" if rng.random() < 0.15 else "GET"
                status = _status(rng, tls)
                if status == 403:
                    down = 3900 + n % 200  # the proxy's error page
                elif status == 302 or status == 304:
                    down = 150 + n * 7 % 450
                else:
                    down = (big if tls else small)[rng.getrandbits(POOL_BITS)] + 200
                up = (post if method == "POST" else req)[rng.getrandbits(POOL_BITS)] + 100
                hit = Hit(
                    START + n * step, ips[u], names[u], u % 10 != 0, host, tls, method, paths[n % len(paths)],
                    status, down, up, ms[n % POOL], AGENTS[n % len(AGENTS)], addrs[host], apps[host], n,
                )  # fmt: skip
                buf.append(write(hit, rng))
            f.write("".join(buf))
            done += k
        f.write(trailer)
    return extra_lines(fmt)


def mixed_parts(lines: int) -> list[tuple[str, int, int]]:
    """``(format, events, seed)`` of each file of the mixed directory: ``lines`` events in all."""
    n = len(FORMATS)
    return [(fmt, lines // n + (1 if i < lines % n else 0), SEED + i) for i, fmt in enumerate(FORMATS)]
