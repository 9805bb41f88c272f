using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using IncusBackup.Errors;

namespace IncusBackup.Incus;

/// <summary>
/// A small client for the Incus REST API: the sync/async/error envelopes, operation waiting that survives the
/// server's quirks (incus-api.md §0), and raw streaming requests for exports and imports.
/// Thread-safe: one instance serves every parallel worker of a cmdlet.
/// </summary>
public sealed class IncusClient : IDisposable
{
    private static readonly string[] DefaultSocketPaths = ["/var/lib/incus/unix.socket", "/run/incus/unix.socket"];

    private readonly HttpClient _http;
    private ServerInfo? _server;

    private IncusClient(HttpMessageHandler handler, Uri baseAddress, string endpoint)
    {
        _http = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan };
        Endpoint = endpoint;
    }

    /// <summary>Where this client talks to, for messages ("unix:///var/lib/incus/unix.socket").</summary>
    public string Endpoint { get; }

    /// <summary>Receives one line per API call (method, path, status, time): the -Debug trace.</summary>
    public Action<string>? Trace { get; set; }

    /// <summary>How long to wait on an operation between progress polls.</summary>
    internal int WaitPollSeconds { get; set; } = 2;

    /// <summary>Connects to the local server over its unix socket.</summary>
    public static IncusClient ConnectUnixSocket(string? socketPath = null)
    {
        var path = socketPath ?? FindSocket() ?? throw new IncusBackupException(
            ErrorIds.IncusUnreachable, ErrorKind.ConnectionError,
            "No Incus unix socket found (looked at $INCUS_SOCKET, $INCUS_DIR/unix.socket, " + string.Join(", ", DefaultSocketPaths) + ").",
            recommendedAction: "Start the Incus daemon (incusd), or set INCUS_SOCKET to the path of its unix socket.");
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), ct).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            MaxConnectionsPerServer = 64,
        };
        return new IncusClient(handler, new Uri("http://incus/"), "unix://" + path);
    }

    /// <summary>Talks plain HTTP to an address: used for test doubles of the server.</summary>
    public static IncusClient ConnectHttp(Uri baseAddress) =>
        new(new SocketsHttpHandler(), baseAddress, baseAddress.ToString());

    /// <summary>The socket path the local server listens on, following the Incus client's own order.</summary>
    public static string? FindSocket()
    {
        var env = Environment.GetEnvironmentVariable("INCUS_SOCKET");
        if (!string.IsNullOrEmpty(env)) return env;
        var dir = Environment.GetEnvironmentVariable("INCUS_DIR");
        if (!string.IsNullOrEmpty(dir)) return Path.Combine(dir, "unix.socket");
        return DefaultSocketPaths.FirstOrDefault(File.Exists);
    }

    public void Dispose() => _http.Dispose();

    /// <summary>GET /1.0, once per client; also proves the server is reachable and we are trusted.</summary>
    public async Task<ServerInfo> GetServerAsync(CancellationToken ct)
    {
        if (_server is not null) return _server;
        var info = await GetAsync("/1.0", IncusJsonContext.Default.ServerInfo, ct).ConfigureAwait(false);
        if (info.Auth is not null && info.Auth != "trusted")
        {
            throw new IncusBackupException(ErrorIds.IncusPermissionDenied, ErrorKind.PermissionDenied,
                $"The Incus server at {Endpoint} does not trust this client (auth: {info.Auth}).",
                recommendedAction: "Run as root or as a member of the incus-admin group, or add this client's certificate to the server's trust store.");
        }
        _server = info;
        return info;
    }

    public async Task<bool> HasExtensionAsync(string extension, CancellationToken ct) =>
        (await GetServerAsync(ct).ConfigureAwait(false)).ApiExtensions.Contains(extension);

    /// <summary>GET a sync response and deserialize its metadata.</summary>
    public async Task<T> GetAsync<T>(string path, JsonTypeInfo<T> type, CancellationToken ct)
    {
        var envelope = await SendJsonAsync(HttpMethod.Get, path, null, ct).ConfigureAwait(false);
        return envelope.Metadata.Deserialize(type)
            ?? throw new IncusApiException(500, $"Empty response from {path}.");
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

    /// <summary>
    /// Sends a mutating request. A sync answer returns at once; an async one is waited for.
    /// Returns the finished operation (or null for a sync answer).
    /// </summary>
    public async Task<IncusOperation?> ExecuteAsync<TBody>(HttpMethod method, string path, TBody body, JsonTypeInfo<TBody> type,
        Action<IncusOperation>? progress, CancellationToken ct)
    {
        var content = JsonContent(body, type);
        var envelope = await SendJsonAsync(method, path, content, ct).ConfigureAwait(false);
        return envelope.Type == "async" ? await WaitAsync(envelope.Operation!, progress, ct).ConfigureAwait(false) : null;
    }

    /// <summary>Sends a DELETE and waits for it whether the server answers sync or async.</summary>
    public async Task DeleteAsync(string path, CancellationToken ct)
    {
        var envelope = await SendJsonAsync(HttpMethod.Delete, path, null, ct).ConfigureAwait(false);
        if (envelope.Type == "async") await WaitAsync(envelope.Operation!, null, ct).ConfigureAwait(false);
    }

    /// <summary>Starts an async request and returns the operation path without waiting.</summary>
    public async Task<string> StartAsync<TBody>(HttpMethod method, string path, TBody body, JsonTypeInfo<TBody> type, CancellationToken ct)
    {
        var envelope = await SendJsonAsync(method, path, JsonContent(body, type), ct).ConfigureAwait(false);
        return envelope.Type == "async" && envelope.Operation is not null
            ? envelope.Operation
            : throw new IncusApiException(500, $"Expected an async operation from {method} {path}, got a {envelope.Type} response.");
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
                    if (progress is not null)
                    {
                        var current = await TryGetAsync(basePath, IncusJsonContext.Default.IncusOperation, ct).ConfigureAwait(false);
                        if (current is not null) progress(current);
                    }
                    continue;
                }
                if (envelope.ErrorCode == 404)
                {
                    throw new IncusOperationLostException(basePath);
                }
                throw new IncusApiException(400, error, ErrorIds.IncusOperationFailed);
            }

            var op = envelope.Metadata.Deserialize(IncusJsonContext.Default.IncusOperation)
                ?? throw new IncusApiException(500, $"Empty operation from {basePath}.");
            switch (op.StatusCode)
            {
                case 200:
                    return op;
                case 400:
                case 401:
                    throw new IncusApiException(400, string.IsNullOrEmpty(op.Err) ? op.Status ?? "Operation failed" : op.Err, ErrorIds.IncusOperationFailed);
                default:
                    progress?.Invoke(op);
                    break;
            }
        }
    }

    /// <summary>
    /// Sends a request whose response body is streamed by the caller (exports). Errors still arrive as envelopes
    /// and are thrown; on success the caller owns the response.
    /// </summary>
    public async Task<HttpResponseMessage> SendStreamingAsync(HttpRequestMessage request, CancellationToken ct)
    {
        var started = DateTime.UtcNow;
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw TranslateConnectionError(e);
        }
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

    private async Task<IncusEnvelope> SendJsonAsync(HttpMethod method, string path, HttpContent? content, CancellationToken ct, bool throwOnError = true)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        var started = DateTime.UtcNow;
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw TranslateConnectionError(e);
        }
        using (response)
        {
            var envelope = await ReadEnvelopeAsync(response, ct).ConfigureAwait(false);
            Trace?.Invoke($"{method} {path} -> {(int)response.StatusCode} {envelope.Type} ({(DateTime.UtcNow - started).TotalMilliseconds:F0} ms){(envelope.Type == "error" ? ": " + envelope.Error : "")}");
            if (envelope.Type == "error" && throwOnError)
            {
                throw new IncusApiException(envelope.ErrorCode != 0 ? envelope.ErrorCode : (int)response.StatusCode, envelope.Error ?? "Unknown error");
            }
            return envelope;
        }
    }

    private static StringContent? JsonContent<TBody>(TBody body, JsonTypeInfo<TBody> type) =>
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
        return new IncusBackupException(ErrorIds.IncusUnreachable, ErrorKind.ConnectionError,
            $"Cannot reach the Incus server at {Endpoint}: {e.InnerException?.Message ?? e.Message}",
            recommendedAction: "Check that incusd is running (incus admin waitready) and that INCUS_SOCKET points at its socket.", inner: e);
    }
}

/// <summary>The operation finished and was forgotten before we could read its result (incus-api.md §0).</summary>
public sealed class IncusOperationLostException(string operation)
    : IncusBackupException(ErrorIds.IncusOperationFailed, ErrorKind.OperationFailed, $"Operation {operation} is no longer known to the server.");
