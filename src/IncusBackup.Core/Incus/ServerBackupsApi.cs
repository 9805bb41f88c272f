using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Serialization.Metadata;

namespace IncusBackup.Incus;

/// <summary>
/// The backups the server keeps for one instance or custom volume (…/backups): create, list, download with Range
/// resume, delete, and the streamed export of the <c>direct_backup</c> extension (docs/incus-api.md §2, §4).
/// </summary>
public interface IServerBackups
{
    /// <summary>The server-side backups of the resource; null when the resource is gone.</summary>
    Task<List<ServerBackup>?> TryListAsync(CancellationToken ct);

    Task<ServerBackup?> TryGetAsync(string name, CancellationToken ct);

    /// <summary>Asks the server to write a backup and returns its operation; not cancellable once sent.</summary>
    Task<string> StartCreateAsync(ServerBackupRequest request, CancellationToken ct);

    /// <summary>Deletes a server-side backup (also one still being written) and waits; a missing one is not an error.</summary>
    Task DeleteAsync(string name, CancellationToken ct);

    /// <summary>Opens the backup's file from <paramref name="offset"/> (a Range request; the server may send it all).</summary>
    Task<BackupDownload> DownloadAsync(string name, long offset, CancellationToken ct);

    /// <summary>The streamed export (direct_backup): the archive is the answer to the request; nothing stays on the server.</summary>
    Task<BackupDownload> ExportDirectAsync(ServerBackupRequest request, CancellationToken ct);
}

internal sealed class ServerBackupsApi<TRequest>(
    IncusTransport transport,
    string backupsPath,
    Func<string, string> backupPath,
    Func<ServerBackupRequest, TRequest> toWire,
    JsonTypeInfo<TRequest> wireType) : IServerBackups
{
    public Task<List<ServerBackup>?> TryListAsync(CancellationToken ct) =>
        transport.TryGetAsync(IncusPath.WithRecursion(backupsPath), IncusJsonContext.Default.ListServerBackup, ct);

    public Task<ServerBackup?> TryGetAsync(string name, CancellationToken ct) =>
        transport.TryGetAsync(backupPath(name), IncusJsonContext.Default.ServerBackup, ct);

    public Task<string> StartCreateAsync(ServerBackupRequest request, CancellationToken ct) =>
        transport.StartUncancellableAsync(HttpMethod.Post, backupsPath, toWire(request), wireType, ct);

    public async Task DeleteAsync(string name, CancellationToken ct)
    {
        try
        {
            await transport.DeleteAsync(backupPath(name), ct).ConfigureAwait(false);
        }
        catch (IncusApiException e) when (e.IsNotFound)
        {
            // Never created, or already gone.
        }
    }

    public async Task<BackupDownload> DownloadAsync(string name, long offset, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, IncusPath.Append(backupPath(name), "/export"));
        if (offset > 0) request.Headers.Range = new RangeHeaderValue(offset, null);
        var response = await transport.SendStreamingAsync(request, ct).ConfigureAwait(false);
        try
        {
            var headers = response.Content.Headers;
            var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.PartialContent) return new BackupDownload(response, body, 0, headers.ContentLength);
            var from = headers.ContentRange?.From ?? 0;
            if (from != offset && from != 0)
            {
                // Neither the resume asked for nor the whole file: taking it would shift every byte after the gap.
                throw new IOException($"The server answered a download from byte {offset} with bytes from {from}.");
            }
            return new BackupDownload(response, body, from, headers.ContentRange?.Length ?? headers.ContentLength + from);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    public async Task<BackupDownload> ExportDirectAsync(ServerBackupRequest request, CancellationToken ct)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, backupsPath)
        {
            Content = IncusTransport.JsonContent(toWire(request with { Name = null, ExpiresAt = null }), wireType),
        };
        message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/octet-stream"));
        var response = await transport.SendStreamingAsync(message, ct).ConfigureAwait(false);
        try
        {
            if (response.Content.Headers.ContentType?.MediaType == "application/json")
                throw new IncusApiException(500, $"The server answered a streamed backup request on {backupsPath} with JSON instead of the archive.");
            var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            return new BackupDownload(response, body, 0, response.Content.Headers.ContentLength);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }
}
