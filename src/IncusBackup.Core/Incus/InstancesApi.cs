namespace IncusBackup.Incus;

/// <summary>Instances (containers and VMs): /1.0/instances (docs/incus-api.md §2, §3).</summary>
public interface IInstancesApi
{
    /// <param name="project">The project, or null for every project.</param>
    Task<List<IncusInstance>> ListAsync(string? project, CancellationToken ct);

    Task<IncusInstance?> TryGetAsync(string project, string name, CancellationToken ct);

    /// <summary>Snapshots, oldest first.</summary>
    Task<List<IncusSnapshot>> ListSnapshotsAsync(string project, string name, CancellationToken ct);

    Task<InstanceStateInfo?> TryGetStateAsync(string project, string name, CancellationToken ct);

    /// <summary>Starts, stops, freezes or thaws the instance and waits for it.</summary>
    Task ChangeStateAsync(string project, string name, InstanceAction action, CancellationToken ct, bool force = false, int timeoutSeconds = 30);

    Task RenameAsync(string project, string name, string newName, CancellationToken ct);

    /// <summary>
    /// Moves a stopped instance to another cluster member (POST with ?target=), storage and all. Incus imports a
    /// backup on the member the client is connected to, whatever ?target= says, so a restore moves it after.
    /// </summary>
    Task MoveToMemberAsync(string project, string name, string member, CancellationToken ct);

    /// <summary>Replaces the instance's writable fields (PUT: a device left out is detached).</summary>
    Task UpdateAsync(string project, string name, InstanceUpdate update, CancellationToken ct);

    Task DeleteAsync(string project, string name, CancellationToken ct);

    /// <summary>
    /// Starts copying <paramref name="source"/> (snapshots included) to a new stopped instance in the same project,
    /// with <paramref name="config"/> over the source's keys; returns the operation. Not cancellable once sent, so
    /// the caller always knows a copy may exist.
    /// </summary>
    Task<string> StartCopyAsync(string project, string source, string name, IReadOnlyDictionary<string, string> config, CancellationToken ct);

    IServerBackups Backups(string project, string name);

    /// <summary>Uploads a backup to create an instance from it; returns the import operation.</summary>
    Task<string> StartImportAsync(string project, BackupUpload upload, CancellationToken ct);

    /// <summary>
    /// Runs a command inside the running instance without a terminal (exec with record-output), waits for it and
    /// returns its exit code and the start of its output (the server's log files are deleted after reading).
    /// </summary>
    Task<ExecResult> ExecAsync(string project, string name, IReadOnlyList<string> command, CancellationToken ct);
}

internal sealed class InstancesApi(IncusTransport transport) : IInstancesApi
{
    public Task<List<IncusInstance>> ListAsync(string? project, CancellationToken ct) =>
        transport.GetAsync(IncusPath.Instances(project), IncusJsonContext.Default.ListIncusInstance, ct);

    public Task<IncusInstance?> TryGetAsync(string project, string name, CancellationToken ct) =>
        transport.TryGetAsync(IncusPath.Instance(project, name), IncusJsonContext.Default.IncusInstance, ct);

    public async Task<List<IncusSnapshot>> ListSnapshotsAsync(string project, string name, CancellationToken ct) =>
        (await transport.GetAsync(IncusPath.Instance(project, name, "/snapshots?recursion=1"), IncusJsonContext.Default.ListIncusSnapshot, ct).ConfigureAwait(false))
            .OrderBy(s => s.CreatedAt).ToList();

    public Task<InstanceStateInfo?> TryGetStateAsync(string project, string name, CancellationToken ct) =>
        transport.TryGetAsync(IncusPath.Instance(project, name, "/state"), IncusJsonContext.Default.InstanceStateInfo, ct);

    public Task ChangeStateAsync(string project, string name, InstanceAction action, CancellationToken ct, bool force = false, int timeoutSeconds = 30) =>
        transport.ExecuteAsync(HttpMethod.Put, IncusPath.Instance(project, name, "/state"),
            new InstanceStateRequest { Action = action.ToString().ToLowerInvariant(), Timeout = timeoutSeconds, Force = force },
            IncusJsonContext.Default.InstanceStateRequest, ct);

    public Task RenameAsync(string project, string name, string newName, CancellationToken ct) =>
        transport.ExecuteAsync(HttpMethod.Post, IncusPath.Instance(project, name), new RenameRequest { Name = newName }, IncusJsonContext.Default.RenameRequest, ct);

    public Task MoveToMemberAsync(string project, string name, string member, CancellationToken ct) =>
        transport.ExecuteAsync(HttpMethod.Post, IncusPath.Instance(project, name) + "&target=" + IncusPath.Esc(member),
            new InstanceMoveRequest { Name = name }, IncusJsonContext.Default.InstanceMoveRequest, ct);

    public Task UpdateAsync(string project, string name, InstanceUpdate update, CancellationToken ct) =>
        transport.ExecuteAsync(HttpMethod.Put, IncusPath.Instance(project, name), update, IncusJsonContext.Default.InstanceUpdate, ct);

    public Task DeleteAsync(string project, string name, CancellationToken ct) =>
        transport.DeleteAsync(IncusPath.Instance(project, name), ct);

    public Task<string> StartCopyAsync(string project, string source, string name, IReadOnlyDictionary<string, string> config, CancellationToken ct) =>
        transport.StartUncancellableAsync(HttpMethod.Post, IncusPath.Scoped("/1.0/instances", project),
            new InstanceCopyRequest { Name = name, Source = new CopySource { Source = source, InstanceOnly = false }, Config = new(config) },
            IncusJsonContext.Default.InstanceCopyRequest, ct);

    public IServerBackups Backups(string project, string name) =>
        new ServerBackupsApi<InstanceBackupRequest>(transport,
            IncusPath.Instance(project, name, "/backups"),
            backup => IncusPath.InstanceBackup(project, name, backup),
            r => new InstanceBackupRequest
            {
                Name = r.Name, ExpiresAt = r.ExpiresAt, InstanceOnly = r.WithoutSnapshots,
                OptimizedStorage = r.Optimized, CompressionAlgorithm = r.Compression,
            },
            IncusJsonContext.Default.InstanceBackupRequest);

    public Task<string> StartImportAsync(string project, BackupUpload upload, CancellationToken ct) =>
        BackupImport.StartAsync(transport, IncusPath.Scoped("/1.0/instances", project), upload, ct);

    /// <summary>How much of each output stream is kept.</summary>
    private const int ExecOutputLimit = 64 * 1024;

    public async Task<ExecResult> ExecAsync(string project, string name, IReadOnlyList<string> command, CancellationToken ct)
    {
        var operation = await transport.StartUncancellableAsync(HttpMethod.Post, IncusPath.Instance(project, name, "/exec"),
            new ExecRequest { Command = [.. command] }, IncusJsonContext.Default.ExecRequest, ct).ConfigureAwait(false);
        var done = await transport.WaitAsync(operation, null, ct).ConfigureAwait(false);
        var exitCode = done.Metadata.ValueKind == System.Text.Json.JsonValueKind.Object && done.Metadata.TryGetProperty("return", out var ret)
            && ret.TryGetInt32(out var code) ? code : -1;
        var output = done.Metadata.ValueKind == System.Text.Json.JsonValueKind.Object && done.Metadata.TryGetProperty("output", out var o)
            && o.ValueKind == System.Text.Json.JsonValueKind.Object ? o : default;
        return new ExecResult(exitCode, await ReadLogAsync(output, "1", project, ct).ConfigureAwait(false),
            await ReadLogAsync(output, "2", project, ct).ConfigureAwait(false));
    }

    /// <summary>Reads one recorded output file (up to the limit) and deletes it; a missing one reads as empty.</summary>
    private async Task<string> ReadLogAsync(System.Text.Json.JsonElement output, string stream, string project, CancellationToken ct)
    {
        if (output.ValueKind != System.Text.Json.JsonValueKind.Object || !output.TryGetProperty(stream, out var p) || p.GetString() is not { Length: > 0 } path)
            return "";
        var scoped = IncusPath.Scoped(path, project);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, scoped);
            using var response = await transport.SendStreamingAsync(request, ct).ConfigureAwait(false);
            await using var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            var buffer = new byte[ExecOutputLimit];
            var read = 0;
            int n;
            while (read < buffer.Length && (n = await body.ReadAsync(buffer.AsMemory(read), ct).ConfigureAwait(false)) > 0) read += n;
            return System.Text.Encoding.UTF8.GetString(buffer, 0, read);
        }
        catch (IncusApiException e) when (e.IsNotFound)
        {
            return "";
        }
        finally
        {
            try
            {
                await transport.DeleteAsync(scoped, CancellationToken.None).ConfigureAwait(false);
            }
            catch (IncusApiException)
            {
                // Only a log file; the instance is deleted with it anyway.
            }
        }
    }
}
