namespace IncusBackup.Incus;

/// <summary>Typed list calls shared by the engine and the argument completers.</summary>
public static class IncusQueries
{
    /// <param name="project">The project, or null for every project.</param>
    public static Task<List<IncusInstance>> ListInstancesAsync(this IncusClient client, string? project, CancellationToken ct) =>
        client.GetAsync(IncusPath.Instances(project), IncusJsonContext.Default.ListIncusInstance, ct);

    public static Task<List<StoragePool>> ListPoolsAsync(this IncusClient client, CancellationToken ct) =>
        client.GetAsync("/1.0/storage-pools?recursion=1", IncusJsonContext.Default.ListStoragePool, ct);

    public static Task<List<IncusProject>> ListProjectsAsync(this IncusClient client, CancellationToken ct) =>
        client.GetAsync("/1.0/projects?recursion=1", IncusJsonContext.Default.ListIncusProject, ct);

    /// <summary>Custom volumes of one pool, without their snapshots (which the API lists as "vol/snap").</summary>
    public static async Task<List<StorageVolume>> ListCustomVolumesAsync(this IncusClient client, string? project, string pool, CancellationToken ct) =>
        (await client.GetAsync(IncusPath.Volumes(project, pool), IncusJsonContext.Default.ListStorageVolume, ct).ConfigureAwait(false))
            .Where(v => v.Type == "custom" && !v.Name.Contains('/')).ToList();
}
