using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using IncusBackup.Errors;

namespace IncusBackup.Incus;

/// <summary>
/// HTTP to one Incus server: the sync/async/error envelopes, operation waiting that survives the server's quirks
/// (docs/incus-api.md §0), and raw streaming requests for exports and imports. The resource-family clients build
/// paths and bodies; only this class sends them. Thread-safe: one instance serves every parallel worker.
/// </summary>
internal sealed class IncusTransport(HttpMessageHandler handler, Uri baseAddress, string endpoint) : IDisposable
{
    /// <summary>How long the server gets to answer a request we may not cancel once sent.</summary>
    private static readonly TimeSpan UncancellableAnswerLimit = TimeSpan.FromSeconds(60);

    private readonly HttpClient _http = new(handler) { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>Where this transport talks to, for messages ("unix:///var/lib/incus/unix.socket").</summary>
    public string Endpoint { get; } = endpoint;

    /// <summary>Receives one line per API call (method, path, status, time): the -Debug trace.</summary>
    public Action<string>? Trace { get; init; }

    /// <summary>The unix socket this transport connects to, when it does: a missing one is named in the error.</summary>
    public string? SocketPath { get; init; }

    /// <summary>How long to wait on an operation between progress polls.</summary>
    public int WaitPollSeconds { get; init; } = 2;

    public void Dispose() => _http.Dispose();

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
    /// Errors still arrive as envelopes and are thrown; on success the caller owns the response.
    /// </summary>
    public async Task<HttpResponseMessage> SendStreamingAsync(HttpRequestMessage request, CancellationToken ct)
    {
        var started = DateTime.UtcNow;
        var response = await SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        Trace?.Invoke($"{request.Method} {request.RequestUri} -> {(int)response.StatusCode} ({(DateTime.UtcNow - started).TotalMilliseconds:F0} ms, streamed)");
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

    private async Task<IncusEnvelope> SendJsonAsync(HttpMethod method, string path, HttpContent? content, CancellationToken ct, bool throwOnError = true,
        string? ifMatch = null, Action<HttpResponseMessage>? onResponse = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (ifMatch is not null) request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        var started = DateTime.UtcNow;
        using (var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false))
        {
            onResponse?.Invoke(response);
            var envelope = await ReadEnvelopeAsync(response, ct).ConfigureAwait(false);
            Trace?.Invoke($"{method} {path} -> {(int)response.StatusCode} {envelope.Type} ({(DateTime.UtcNow - started).TotalMilliseconds:F0} ms){(envelope.Type == "error" ? ": " + envelope.Error : "")}");
            if (envelope.Type == "error" && throwOnError)
            {
                throw new IncusApiException(envelope.ErrorCode != 0 ? envelope.ErrorCode : (int)response.StatusCode, envelope.Error ?? "Unknown error");
            }
            return envelope;
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken ct)
    {
        try
        {
            return await _http.SendAsync(request, completion, ct).ConfigureAwait(false);
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
}
