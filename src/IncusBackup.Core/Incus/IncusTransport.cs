using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using IncusBackup.Errors;
using Polly;

namespace IncusBackup.Incus;

/// <summary>
/// HTTP to one Incus server: the sync/async/error envelopes, operation waiting that survives the server's quirks
/// (docs/incus-api.md §0), and raw streaming requests for exports and imports. The resource-family clients build
/// paths and bodies; only this class sends them. Requests that are safe to repeat (GET, HEAD) are repeated after a
/// transient fault as <see cref="Retry"/> says; the others are sent once. Thread-safe: one instance serves every
/// parallel worker.
/// </summary>
internal sealed class IncusTransport(HttpMessageHandler handler, Uri baseAddress, string endpoint) : IDisposable
{
    /// <summary>How long the server gets to answer a request we may not cancel once sent.</summary>
    private static readonly TimeSpan UncancellableAnswerLimit = TimeSpan.FromSeconds(60);

    // The handler holds the connection pool; views aimed at a cluster member (WithTarget) share it.
    private readonly HttpClient _http = new(handler, disposeHandler: false) { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>False for a view made by <see cref="WithTarget"/>: the handler is its parent's to dispose.</summary>
    private bool _ownsHandler = true;

    /// <summary>The cluster member every request but operations is aimed at (?target=), or null.</summary>
    public string? Target { get; private init; }

    /// <summary>Where this transport talks to, for messages ("unix:///var/lib/incus/unix.socket").</summary>
    public string Endpoint { get; } = endpoint;

    /// <summary>Receives one line per API call (method, path, status, time): the -Debug trace.</summary>
    public Action<string>? Trace { get; init; }

    /// <summary>The unix socket this transport connects to, when it does: a missing one is named in the error.</summary>
    public string? SocketPath { get; init; }

    /// <summary>How an HTTPS transport judges the server's certificate; null for a socket. Its last refusal names the fingerprint in the error.</summary>
    public Remotes.ServerCertificateTrust? ServerTrust { get; init; }

    /// <summary>The incus CLI remote of an HTTPS transport, for messages.</summary>
    public string? RemoteName { get; init; }

    /// <summary>The TLS client certificate an HTTPS transport presents, for the "untrusted" message.</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2? ClientCertificate { get; init; }

    /// <summary>How long to wait on an operation between progress polls.</summary>
    public int WaitPollSeconds { get; init; } = 2;

    /// <summary>How GETs and HEADs are repeated after a 5xx or a broken connection (tests make the waits zero).</summary>
    public RetryPolicy Retry { get; init; } = RetryPolicy.Default;

    private ResiliencePipeline<JsonAnswer>? _jsonRetries;
    private ResiliencePipeline<HttpResponseMessage>? _streamingRetries;

    /// <summary>Built on first use, once the init properties are set; a second copy built by a race is as good.</summary>
    private ResiliencePipeline<JsonAnswer> JsonRetries => _jsonRetries ??=
        Retry.Build<JsonAnswer>(a => a.HttpStatus, a => $"HTTP {a.HttpStatus}: {a.Envelope.Error}", IsTransient, Trace);

    private ResiliencePipeline<HttpResponseMessage> StreamingRetries => _streamingRetries ??=
        Retry.Build<HttpResponseMessage>(r => (int)r.StatusCode, r => $"HTTP {(int)r.StatusCode} {r.ReasonPhrase}", IsTransient, Trace);

    public void Dispose()
    {
        _http.Dispose();
        if (_ownsHandler) handler.Dispose();
    }

    /// <summary>A view of this transport whose requests are aimed at one cluster member, over the same connections.</summary>
    public IncusTransport WithTarget(string member) => new(handler, baseAddress, Endpoint)
    {
        Trace = Trace, SocketPath = SocketPath, ServerTrust = ServerTrust, RemoteName = RemoteName, ClientCertificate = ClientCertificate,
        WaitPollSeconds = WaitPollSeconds, Retry = Retry, Target = member, _ownsHandler = false,
    };

    /// <summary>
    /// The path with ?target= when this transport is aimed at a member. Not /1.0 itself (the cluster's own view)
    /// and not operations, which the cluster forwards to the member that runs them.
    /// </summary>
    internal string Targeted(string path)
    {
        if (Target is null || path == "/1.0" || path.StartsWith("/1.0/operations", StringComparison.Ordinal)
            || path.Contains("?target=", StringComparison.Ordinal) || path.Contains("&target=", StringComparison.Ordinal))
            return path;
        return path + (path.Contains('?') ? '&' : '?') + "target=" + IncusPath.Esc(Target);
    }

    /// <summary>GET a sync response and deserialize its metadata.</summary>
    public async Task<T> GetAsync<T>(string path, JsonTypeInfo<T> type, CancellationToken ct)
    {
        var envelope = await SendJsonAsync(HttpMethod.Get, path, null, ct).ConfigureAwait(false);
        return envelope.Metadata.Deserialize(type)
            ?? throw new IncusApiException(500, $"Empty response from {path}.");
    }

    /// <summary>GET a list of objects as JSON, for callers that keep every field (config backups).</summary>
    public async Task<List<System.Text.Json.Nodes.JsonObject>> GetObjectsAsync(string path, CancellationToken ct)
    {
        var list = await GetAsync(path, IncusJsonContext.Default.JsonElement, ct).ConfigureAwait(false);
        return list.ValueKind != JsonValueKind.Array ? [] :
            [.. list.EnumerateArray().Select(e => System.Text.Json.Nodes.JsonNode.Parse(e.GetRawText())).OfType<System.Text.Json.Nodes.JsonObject>()];
    }

    /// <summary>GET that returns null for a 404 instead of throwing.</summary>
    public async Task<T?> TryGetAsync<T>(string path, JsonTypeInfo<T> type, CancellationToken ct) where T : class
    {
        try
        {
            return await GetAsync(path, type, ct).ConfigureAwait(false);
        }
        catch (IncusApiException e) when (e.IsNotFound)
        {
            return null;
        }
    }

    /// <summary>Sends a mutating request and, when the server answers async, waits for the operation to finish.</summary>
    public async Task ExecuteAsync<TBody>(HttpMethod method, string path, TBody body, JsonTypeInfo<TBody> type, CancellationToken ct)
    {
        var envelope = await SendJsonAsync(method, path, JsonContent(body, type), ct).ConfigureAwait(false);
        if (envelope.Type == "async") await WaitAsync(envelope.Operation!, null, ct).ConfigureAwait(false);
    }

    /// <summary>Sends a DELETE and waits for it whether the server answers sync or async.</summary>
    public async Task DeleteAsync(string path, CancellationToken ct)
    {
        var envelope = await SendJsonAsync(HttpMethod.Delete, path, null, ct).ConfigureAwait(false);
        if (envelope.Type == "async") await WaitAsync(envelope.Operation!, null, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Starts an async request and returns its operation without waiting. Not cancellable once sent: the server
    /// acts at once, and a Ctrl+C between its acting and our reading the answer would leave something we never
    /// learnt the name of (a server-side backup), so only the answer's own time limit applies.
    /// </summary>
    public async Task<string> StartUncancellableAsync<TBody>(HttpMethod method, string path, TBody body, JsonTypeInfo<TBody> type, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        using var answerLimit = new CancellationTokenSource(UncancellableAnswerLimit);
        var envelope = await SendJsonAsync(method, path, JsonContent(body, type), answerLimit.Token).ConfigureAwait(false);
        return envelope.Type == "async" && envelope.Operation is not null
            ? envelope.Operation
            : throw new IncusApiException(500, $"The server did not start an operation for {method} {path}.");
    }

    /// <summary>
    /// Waits for an operation to finish. /wait always answers HTTP 200; the body is a sync envelope with the
    /// finished operation or an error envelope (the failure, or "context deadline exceeded" on timeout).
    /// A finished operation is forgotten after ~5 s, so waiting starts at once and a 404 is reported as lost.
    /// </summary>
    public async Task<IncusOperation> WaitAsync(string operationPath, Action<IncusOperation>? progress, CancellationToken ct)
    {
        var basePath = operationPath.Split('?')[0];
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var envelope = await SendJsonAsync(HttpMethod.Get, $"{basePath}/wait?timeout={WaitPollSeconds}", null, ct, throwOnError: false).ConfigureAwait(false);
            if (envelope.Type == "error")
            {
                var error = envelope.Error ?? "";
                if (error.Contains("context deadline exceeded", StringComparison.Ordinal))
                {
                    if (progress is not null && await TryGetAsync(basePath, IncusJsonContext.Default.IncusOperation, ct).ConfigureAwait(false) is { } current)
                        progress(current);
                    continue;
                }
                if (envelope.ErrorCode == 404) throw new IncusOperationLostException(basePath);
                throw IncusApiException.OperationFailed(error);
            }

            var op = envelope.Metadata.Deserialize(IncusJsonContext.Default.IncusOperation)
                ?? throw new IncusApiException(500, $"Empty operation from {basePath}.");
            switch (op.StatusCode)
            {
                case 200:
                    return op;
                case 400:
                case 401:
                    throw IncusApiException.OperationFailed(string.IsNullOrEmpty(op.Err) ? op.Status ?? "Operation failed" : op.Err);
                default:
                    progress?.Invoke(op);
                    break;
            }
        }
    }

    /// <summary>
    /// Sends a request whose response body the caller streams (exports) or whose body is a stream (imports).
    /// Errors still arrive as envelopes and are thrown; on success the caller owns the response. A GET is repeated
    /// only until its answer's headers arrive: a body that breaks off is the caller's to resume.
    /// </summary>
    public async Task<HttpResponseMessage> SendStreamingAsync(HttpRequestMessage request, CancellationToken ct)
    {
        if (Target is not null && request.RequestUri is { IsAbsoluteUri: false } relative)
            request.RequestUri = new Uri(Targeted(relative.OriginalString), UriKind.Relative);
        var display = $"{request.Method} {request.RequestUri}";
        var response = await TranslatingConnectionErrors(() => RetryPolicy.MayRepeat(request.Method) && request.Content is null
            ? RetryPolicy.ExecuteAsync(StreamingRetries, display, StreamingAttempts(request, display), ct)
            : SendStreamingOnceAsync(request, display, ct)).ConfigureAwait(false);
        if (response.IsSuccessStatusCode) return response;
        using (response)
        {
            var envelope = await ReadEnvelopeAsync(response, ct).ConfigureAwait(false);
            throw new IncusApiException(envelope.ErrorCode != 0 ? envelope.ErrorCode : (int)response.StatusCode,
                envelope.Error ?? response.ReasonPhrase ?? "Request failed");
        }
    }

    /// <summary>Reads a response body as an Incus envelope.</summary>
    public static async Task<IncusEnvelope> ReadEnvelopeAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var bytes = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
        try
        {
            return JsonSerializer.Deserialize(bytes, IncusJsonContext.Default.IncusEnvelope)
                ?? throw new JsonException("null envelope");
        }
        catch (JsonException)
        {
            var text = Encoding.UTF8.GetString(bytes, 0, Math.Min(bytes.Length, 200));
            return new IncusEnvelope { Type = "error", ErrorCode = (int)response.StatusCode, Error = $"Unexpected response ({(int)response.StatusCode}): {text}" };
        }
    }

    /// <summary>GET one object with the ETag the server gives it, for an If-Match update (docs/incus-api.md §6).</summary>
    public async Task<(System.Text.Json.Nodes.JsonObject? Value, string? ETag)> GetObjectWithETagAsync(string path, CancellationToken ct)
    {
        string? etag = null;
        try
        {
            var envelope = await SendJsonAsync(HttpMethod.Get, path, null, ct, onResponse: r => etag = r.Headers.ETag?.Tag).ConfigureAwait(false);
            return (System.Text.Json.Nodes.JsonNode.Parse(envelope.Metadata.GetRawText()) as System.Text.Json.Nodes.JsonObject, etag);
        }
        catch (IncusApiException e) when (e.IsNotFound)
        {
            return (null, null);
        }
    }

    /// <summary>Sends a JSON object (POST, PUT, PATCH), with If-Match when an ETag is given, and waits for an async answer.</summary>
    public async Task SendObjectAsync(HttpMethod method, string path, System.Text.Json.Nodes.JsonObject body, string? ifMatch, CancellationToken ct)
    {
        var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        var envelope = await SendJsonAsync(method, path, content, ct, ifMatch: ifMatch).ConfigureAwait(false);
        if (envelope.Type == "async") await WaitAsync(envelope.Operation!, null, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends a request and reads its envelope; a GET without a body goes through the retries, and its last answer
    /// (a 5xx too, once the retries are spent) is the one reported.
    /// </summary>
    private async Task<IncusEnvelope> SendJsonAsync(HttpMethod method, string path, HttpContent? content, CancellationToken ct, bool throwOnError = true,
        string? ifMatch = null, Action<HttpResponseMessage>? onResponse = null)
    {
        var answer = await TranslatingConnectionErrors(() => RetryPolicy.MayRepeat(method) && content is null
            ? RetryPolicy.ExecuteAsync(JsonRetries, $"{method} {path}", token => SendJsonOnceAsync(method, path, null, ifMatch, onResponse, token), ct)
            : SendJsonOnceAsync(method, path, content, ifMatch, onResponse, ct)).ConfigureAwait(false);
        var envelope = answer.Envelope;
        if (envelope.Type == "error" && throwOnError)
        {
            throw new IncusApiException(envelope.ErrorCode != 0 ? envelope.ErrorCode : answer.HttpStatus, envelope.Error ?? "Unknown error");
        }
        return envelope;
    }

    /// <summary>One attempt at a JSON request: its HTTP status and envelope, traced.</summary>
    private async Task<JsonAnswer> SendJsonOnceAsync(HttpMethod method, string path, HttpContent? content, string? ifMatch,
        Action<HttpResponseMessage>? onResponse, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, Targeted(path)) { Content = content };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (ifMatch is not null) request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        var started = DateTime.UtcNow;
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
        onResponse?.Invoke(response);
        var envelope = await ReadEnvelopeAsync(response, ct).ConfigureAwait(false);
        Trace?.Invoke($"{method} {path} -> {(int)response.StatusCode} {envelope.Type} ({(DateTime.UtcNow - started).TotalMilliseconds:F0} ms){(envelope.Type == "error" ? ": " + envelope.Error : "")}");
        return new JsonAnswer((int)response.StatusCode, envelope);
    }

    /// <summary>The attempts at a streaming GET: the caller's request first, then copies of it (a request is sent only once).</summary>
    private Func<CancellationToken, Task<HttpResponseMessage>> StreamingAttempts(HttpRequestMessage request, string display)
    {
        var attempts = 0;
        return token => SendStreamingOnceAsync(++attempts == 1 ? request : CopyOf(request), display, token);
    }

    /// <summary>One attempt at a streaming request, up to its answer's headers, traced as <paramref name="display"/>.</summary>
    private async Task<HttpResponseMessage> SendStreamingOnceAsync(HttpRequestMessage request, string display, CancellationToken ct)
    {
        var started = DateTime.UtcNow;
        var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        Trace?.Invoke($"{display} -> {(int)response.StatusCode} ({(DateTime.UtcNow - started).TotalMilliseconds:F0} ms, streamed)");
        return response;
    }

    /// <summary>A bodiless request as it was before it was sent: method, address, version and headers.</summary>
    private static HttpRequestMessage CopyOf(HttpRequestMessage request)
    {
        var copy = new HttpRequestMessage(request.Method, request.RequestUri) { Version = request.Version, VersionPolicy = request.VersionPolicy };
        foreach (var header in request.Headers) copy.Headers.TryAddWithoutValidation(header.Key, header.Value);
        return copy;
    }

    private bool IsTransient(Exception e) => TransientFaults.IsTransient(e, SocketPath);

    /// <summary>Runs a send (with its retries) and turns a connection failure into the error that names the server.</summary>
    private async Task<T> TranslatingConnectionErrors<T>(Func<Task<T>> send)
    {
        try
        {
            return await send().ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw TranslateConnectionError(e);
        }
    }

    internal static StringContent? JsonContent<TBody>(TBody body, JsonTypeInfo<TBody> type) =>
        body is null ? null : new StringContent(JsonSerializer.Serialize(body, type), Encoding.UTF8, "application/json");

    private IncusBackupException TranslateConnectionError(HttpRequestException e)
    {
        if (ServerTrust is not null) return Remotes.HttpsFailures.Translate(e, Endpoint, RemoteName, ServerTrust);
        var socketError = (e.InnerException as SocketException)?.SocketErrorCode;
        if (socketError == SocketError.AccessDenied || e.InnerException is UnauthorizedAccessException)
        {
            return new IncusBackupException(ErrorIds.IncusPermissionDenied, ErrorKind.PermissionDenied,
                $"Permission denied connecting to Incus at {Endpoint}.",
                recommendedAction: "Run as root or as a member of the incus-admin group.", inner: e);
        }
        if (SocketPath is not null && !File.Exists(SocketPath))
        {
            return new IncusBackupException(ErrorIds.IncusUnreachable, ErrorKind.ConnectionError,
                $"There is no Incus socket at {SocketPath} (unix://{SocketPath}): the Incus daemon is not running there.",
                recommendedAction: "Start incusd (or: systemctl start incus), or point INCUS_SOCKET (or INCUS_DIR) at the socket of the server to use.", inner: e);
        }
        return new IncusBackupException(ErrorIds.IncusUnreachable, ErrorKind.ConnectionError,
            $"Cannot reach the Incus server at {Endpoint}: {e.InnerException?.Message ?? e.Message}",
            recommendedAction: "Check that incusd is running (incus admin waitready) and that INCUS_SOCKET points at its socket.", inner: e);
    }

    /// <summary>One answer to a JSON request: the HTTP status (what the retries judge) and the envelope.</summary>
    private readonly record struct JsonAnswer(int HttpStatus, IncusEnvelope Envelope);
}
