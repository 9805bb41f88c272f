using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using IncusBackup.Incus;
using IncusBackup.Tests.Fakes;

namespace IncusBackup.Tests.Core.Incus;

/// <summary>
/// Answers <see cref="FakeIncusServer"/> has no helper for: an envelope at an HTTP status of our choosing (the real
/// /wait answers every body with HTTP 200), raw bodies, and reading a request body that is not a POST.
/// </summary>
internal static class FakeReplies
{
    /// <summary>An error envelope sent with HTTP 200, as GET /1.0/operations/{id}/wait does (docs/incus-api.md §0).</summary>
    public static Task SendErrorAtHttp200(HttpListenerResponse response, int errorCode, string message) =>
        SendRaw(response, 200, "application/json", new JsonObject
        {
            ["type"] = "error", ["status"] = "", ["status_code"] = 0, ["error_code"] = errorCode, ["error"] = message, ["metadata"] = null,
        }.ToJsonString());

    /// <summary>A body sent as is, with the given status and content type.</summary>
    public static async Task SendRaw(HttpListenerResponse response, int status, string contentType, string body)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        response.StatusCode = status;
        response.ContentType = contentType;
        response.ContentLength64 = bytes.Length;
        await response.OutputStream.WriteAsync(bytes);
        response.Close();
    }

    /// <summary>Bytes sent as application/octet-stream.</summary>
    public static async Task SendBytes(HttpListenerResponse response, int status, ReadOnlyMemory<byte> bytes, Action<WebHeaderCollection>? headers = null)
    {
        response.StatusCode = status;
        response.ContentType = "application/octet-stream";
        response.ContentLength64 = bytes.Length;
        headers?.Invoke(response.Headers);
        await response.OutputStream.WriteAsync(bytes);
        response.Close();
    }

    /// <summary>The body of a request the fake did not read itself (it reads POST bodies only).</summary>
    public static async Task<string> ReadBody(HttpListenerRequest request)
    {
        using var reader = new StreamReader(request.InputStream, Encoding.UTF8);
        return await reader.ReadToEndAsync();
    }

    /// <summary>The transport's retries, without the waits between them: a test that meets a 5xx does not sleep.</summary>
    public static RetryPolicy ImmediateRetries { get; } = new() { FirstDelay = TimeSpan.Zero, UseJitter = false };

    /// <summary>A client of <paramref name="server"/> that polls operations every second and retries at once.</summary>
    public static IIncusServer Connect(FakeIncusServer server) =>
        IncusConnection.Open(new IncusConnectionOptions { HttpAddress = server.BaseAddress, WaitPollSeconds = 1, Retry = ImmediateRetries });

    /// <summary>"METHOD path?query" as <see cref="FakeIncusServer.Requests"/> records it.</summary>
    public static bool Is(HttpListenerContext context, string method, string pathAndQuery) =>
        context.Request.HttpMethod == method && context.Request.Url!.PathAndQuery == pathAndQuery;
}
