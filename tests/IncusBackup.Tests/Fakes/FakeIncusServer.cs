using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace IncusBackup.Tests.Fakes;

/// <summary>
/// A scripted stand-in for the Incus REST API over plain HTTP on loopback, for what a real server cannot be made
/// to do on demand: drop a download half-way, answer 500, lack a compressor, or offer API extensions that
/// Incus 6.0.4 does not have. It speaks the real envelopes (sync/async/error) and the /wait quirk.
/// </summary>
public sealed class FakeIncusServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _operationCounter;

    public FakeIncusServer()
    {
        // A free port can be taken by someone else between the probe and the bind: try a few.
        for (var attempt = 1; ; attempt++)
        {
            BaseAddress = new Uri($"http://127.0.0.1:{FreePort()}/");
            _listener.Prefixes.Add(BaseAddress.ToString());
            try
            {
                _listener.Start();
                break;
            }
            catch (HttpListenerException) when (attempt < 5)
            {
                _listener.Prefixes.Clear();
            }
        }
        _loop = Task.Run(LoopAsync);
    }

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>API extensions GET /1.0 reports.</summary>
    public List<string> Extensions { get; } = ["container_backup", "backup_compression", "custom_volume_backup"];

    /// <summary>Every request as "METHOD path?query", in arrival order.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>Bodies of POST requests, in arrival order.</summary>
    public ConcurrentQueue<string> PostBodies { get; } = new();

    /// <summary>Custom handlers tried before the defaults; return true when the request was answered.</summary>
    public List<Func<HttpListenerContext, string, Task<bool>>> Handlers { get; } = [];

    public static async Task SendSync(HttpListenerResponse response, JsonNode? metadata, int status = 200)
    {
        var body = new JsonObject
        {
            ["type"] = "sync", ["status"] = "Success", ["status_code"] = 200, ["operation"] = "",
            ["error_code"] = 0, ["error"] = "", ["metadata"] = metadata,
        };
        await SendJson(response, status, body);
    }

    public static Task SendError(HttpListenerResponse response, int code, string message) =>
        SendJson(response, code, ErrorEnvelope(code, message));

    private static JsonObject ErrorEnvelope(int code, string message) => new()
    {
        ["type"] = "error", ["status"] = "", ["status_code"] = 0, ["error_code"] = code, ["error"] = message, ["metadata"] = null,
    };

    /// <summary>Answers 202 with an operation that is already finished successfully (wait returns at once).</summary>
    public async Task SendAsyncDone(HttpListenerResponse response, JsonObject? resources = null)
    {
        var id = $"op-{Interlocked.Increment(ref _operationCounter)}";
        FinishedOperations[id] = Operation(id, 200, "Success", resources);
        response.Headers["Location"] = $"/1.0/operations/{id}";
        await SendJson(response, 202, new JsonObject
        {
            ["type"] = "async", ["status"] = "Operation created", ["status_code"] = 100,
            ["operation"] = $"/1.0/operations/{id}", ["metadata"] = Operation(id, 103, "Running", resources),
        });
    }

    /// <summary>Operations /wait answers for; a handler can replace one to make it fail or keep running.</summary>
    public ConcurrentDictionary<string, JsonObject> FinishedOperations { get; } = new();

    public static JsonObject Operation(string id, int statusCode, string status, JsonObject? resources = null, string err = "") => new()
    {
        ["id"] = id, ["class"] = "task", ["description"] = "fake", ["status"] = status, ["status_code"] = statusCode,
        ["resources"] = resources ?? new JsonObject(), ["metadata"] = null, ["err"] = err, ["may_cancel"] = false,
    };

    /// <summary>Exceptions thrown by handlers (failed assertions among them), in the order they happened.</summary>
    public ConcurrentQueue<Exception> HandlerFailures { get; } = new();

    /// <summary>
    /// Stops the server, then fails if any handler threw: an assertion inside a handler fails the test that made
    /// it (on the request it answers 500 so the client moves on instead of hanging).
    /// </summary>
    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            _listener.Stop();
            _listener.Close();
        }
        catch (HttpListenerException)
        {
            // The managed listener re-resolves its endpoint on close; a port already reused elsewhere is no failure of the test.
        }
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
        if (!HandlerFailures.IsEmpty)
            throw new AggregateException("A handler of the fake Incus server failed.", HandlerFailures);
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (HttpListenerException)
            {
                return;
            }
            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var request = context.Request;
        var pathAndQuery = request.Url!.PathAndQuery;
        Requests.Enqueue($"{request.HttpMethod} {pathAndQuery}");
        if (request.HttpMethod == "POST")
        {
            using var raw = new MemoryStream();
            await request.InputStream.CopyToAsync(raw);
            var body = Encoding.UTF8.GetString(raw.GetBuffer(), 0, (int)raw.Length);
            PostBodies.Enqueue(body);
            _bodies[context] = body;
            _rawBodies[context] = raw.ToArray();
        }
        try
        {
            foreach (var handler in Handlers)
            {
                if (await handler(context, pathAndQuery)) return;
            }
            await DefaultAsync(context, pathAndQuery);
        }
        catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The client went away or a handler aborted the connection on purpose.
        }
        catch (Exception e)
        {
            HandlerFailures.Enqueue(e);
            try
            {
                await SendError(context.Response, 500, "fake server handler failed: " + e.Message);
            }
            catch (Exception answer) when (answer is HttpListenerException or IOException or ObjectDisposedException or InvalidOperationException)
            {
                // Already answered or gone; the failure is recorded either way.
            }
        }
    }

    private readonly ConcurrentDictionary<HttpListenerContext, string> _bodies = new();

    private readonly ConcurrentDictionary<HttpListenerContext, byte[]> _rawBodies = new();

    /// <summary>The JSON body of a POST this server received.</summary>
    public string BodyOf(HttpListenerContext context) => _bodies.TryGetValue(context, out var b) ? b : "";

    /// <summary>The bytes of a POST this server received (an uploaded archive).</summary>
    public byte[] RawBodyOf(HttpListenerContext context) => _rawBodies.TryGetValue(context, out var b) ? b : [];

    private async Task DefaultAsync(HttpListenerContext context, string pathAndQuery)
    {
        var response = context.Response;
        var path = context.Request.Url!.AbsolutePath;
        if (path == "/1.0")
        {
            await SendSync(response, new JsonObject
            {
                ["api_extensions"] = new JsonArray(Extensions.Select(e => (JsonNode)JsonValue.Create(e)!).ToArray()),
                ["auth"] = "trusted",
                ["environment"] = new JsonObject { ["server_version"] = "6.0.99-fake", ["server_name"] = "fake", ["server_clustered"] = false },
            });
            return;
        }
        if (path.StartsWith("/1.0/operations/", StringComparison.Ordinal) && path.EndsWith("/wait", StringComparison.Ordinal))
        {
            var id = path.Split('/')[3];
            if (FinishedOperations.TryGetValue(id, out var op))
            {
                // As the real /wait: a failed operation is an error envelope at HTTP 200 (docs/incus-api.md §0).
                if (op["status_code"]!.GetValue<int>() == 400)
                    await SendJson(response, 200, ErrorEnvelope(500, op["err"]!.GetValue<string>()));
                else
                    await SendSync(response, op.DeepClone());
            }
            else
            {
                await SendError(response, 404, "Operation not found");
            }
            return;
        }
        if (context.Request.HttpMethod == "GET" && (path.EndsWith("/snapshots", StringComparison.Ordinal) || path.EndsWith("/backups", StringComparison.Ordinal)))
        {
            await SendSync(response, new JsonArray());
            return;
        }
        if (context.Request.HttpMethod == "DELETE")
        {
            await SendAsyncDone(response);
            return;
        }
        await SendError(response, 404, $"not found (fake): {pathAndQuery}");
    }

    private static async Task SendJson(HttpListenerResponse response, int status, JsonNode body)
    {
        var bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
        response.StatusCode = status;
        response.ContentType = "application/json";
        response.ContentLength64 = bytes.Length;
        await response.OutputStream.WriteAsync(bytes);
        response.Close();
    }

    private static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    public static JsonObject InstanceJson(string name, string status = "Stopped") => new()
    {
        ["name"] = name, ["project"] = "default", ["type"] = "container", ["status"] = status, ["status_code"] = status == "Running" ? 103 : 102,
        ["profiles"] = new JsonArray("default"), ["config"] = new JsonObject(), ["devices"] = new JsonObject(),
        ["expanded_devices"] = new JsonObject { ["root"] = new JsonObject { ["type"] = "disk", ["path"] = "/", ["pool"] = "default" } },
        ["created_at"] = "2026-01-01T00:00:00Z",
    };

    public static JsonElement ParseBody(string body) => JsonDocument.Parse(body).RootElement;
}
