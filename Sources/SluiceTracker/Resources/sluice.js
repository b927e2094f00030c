// sluice.js: Sluice's first-party tracker, served by `sluice serve` at /sluice.js.
//
//   <script defer src="https://HOST/sluice.js" data-write-key="wk_..."></script>
//
// Sends Segment events (page, track, identify) to HOST/v1/batch in Segment's batch format, with the write key
// in the body (a beacon cannot carry an Authorization header). Page views on load and whenever the History API
// changes the path (pushState, replaceState, popstate). Events wait in a queue and leave in one batch 5 seconds
// after the first, at 20 events, or when the page is hidden or left (navigator.sendBeacon, else fetch with
// keepalive). With data-respect-dnt, nothing is stored or sent when the browser asks for Do-Not-Track or Global
// Privacy Control. docs/tracker.md describes every field.
//
// The server minifies this file (TrackerMinifier: comments and the whitespace that separates no two words go)
// and a test keeps the result under 1 KB gzipped. So: no regular expression or template literals (the minifier
// reads `/` as division and knows only '...' and "..." strings), and a semicolon after every statement.
(function (w, d, n, l, h) {
    var me = d.currentScript;
    if (!me || w.sluice) return;
    var key = me.getAttribute('data-write-key');
    var off = me.hasAttribute('data-respect-dnt') && (n.doNotTrack == 1 || n.globalPrivacyControl);
    // The page's own calls keep working when nothing is to be sent (Object is a function that does nothing here).
    var api = w.sluice = { track: Object, identify: Object };
    if (off || !key) return;
    var url = new URL('v1/batch', me.src);
    var queue = [], timer, path;

    // 128 random bits as four decimal numbers (crypto.randomUUID would need a secure context).
    function id() {
        return crypto.getRandomValues(new Uint32Array(4)).join('-');
    }

    // localStorage throws where storage is blocked; the ids then last as long as the page.
    function store(k, v) {
        try {
            return v ? localStorage.setItem('sluice_' + k, v) : localStorage.getItem('sluice_' + k);
        } catch (e) {}
    }
    var anonymousId = store('aid') || id();
    var userId = store('uid');
    store('aid', anonymousId);

    // A timer left running by an early flush only sends what came since, sooner: harmless.
    function flush() {
        timer = 0;
        if (!queue.length) return;
        var body = JSON.stringify({ batch: queue, writeKey: key, sentAt: new Date() });
        queue = [];
        // A string body goes as text/plain, which needs no CORS preflight.
        if (!(n.sendBeacon && n.sendBeacon(url, body))) fetch(url, { method: 'POST', body: body, keepalive: true });
    }

    function send(e) {
        var campaign = {};
        new URLSearchParams(l.search).forEach(function (v, k) {
            if (k.indexOf('utm_') == 0) campaign[k == 'utm_campaign' ? 'name' : k.slice(4)] = v;
        });
        e.messageId = id();
        e.anonymousId = anonymousId;
        e.userId = userId;
        e.timestamp = new Date();
        e.context = {
            page: { path: l.pathname, referrer: d.referrer, search: l.search, title: d.title, url: l.href },
            campaign: campaign, userAgent: n.userAgent, library: { name: 'sluice.js', version: '1' }
        };
        queue.push(e);
        if (queue.length > 19) flush();
        else timer = timer || setTimeout(flush, 5000);
    }

    // One page view per path: a replaceState that only changes the query or the hash is no new page.
    function view() {
        if (path != l.pathname) {
            path = l.pathname;
            send({ type: 'page' });
        }
    }

    api.track = function (name, properties) {
        send({ type: 'track', event: name, properties: properties });
    };
    api.identify = function (user, traits) {
        store('uid', userId = user);
        send({ type: 'identify', traits: traits });
    };

    ['pushState', 'replaceState'].forEach(function (m) {
        var original = h[m];
        h[m] = function () {
            original.apply(h, arguments);
            view();
        };
    });
    w.addEventListener('popstate', view);
    // Hidden is the last moment a page is sure to have: it comes before pagehide and unload, also on mobile.
    d.addEventListener('visibilitychange', function () {
        if (d.hidden) flush();
    });
    view();
})(window, document, navigator, location, history);
