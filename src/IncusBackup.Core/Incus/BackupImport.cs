using System.Net.Http.Headers;

namespace IncusBackup.Incus;

/// <summary>Sends a backup archive to an import endpoint (instances or custom volumes) and returns the server's operation.</summary>
internal static class BackupImport
{
    public static async Task<string> StartAsync(IncusTransport transport, string path, BackupUpload upload, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path);
        request.Content = new StreamContent(upload.Body, 1 << 20);
        if (upload.Length is { } length) request.Content.Headers.ContentLength = length;
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        request.Headers.Add("X-Incus-name", upload.Name);
        if (upload.Pool is not null) request.Headers.Add("X-Incus-pool", upload.Pool);
        using var response = await transport.SendStreamingAsync(request, ct).ConfigureAwait(false);
        // The server has the whole upload once it answers; reading its short answer is not worth cancelling.
        var envelope = await IncusTransport.ReadEnvelopeAsync(response, CancellationToken.None).ConfigureAwait(false);
        // A sync answer carries "operation": "" rather than no operation at all.
        return envelope.Type == "async" && !string.IsNullOrEmpty(envelope.Operation)
            ? envelope.Operation
            : throw new IncusApiException(500, $"The server did not start an import on {path} (it answered {envelope.Type}).");
    }
}
