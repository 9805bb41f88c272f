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

    /// <summary>The instances (not snapshots, not profiles) in a volume's used_by list, as (project, name).</summary>
    public static IEnumerable<(string Project, string Name)> InstanceUsers(this StorageVolume volume, string defaultProject) =>
        Users(volume, "/1.0/instances/", defaultProject);

    /// <summary>The profiles in a volume's used_by list (profiles whose disk devices use it), as (project, name).</summary>
    public static IEnumerable<(string Project, string Name)> ProfileUsers(this StorageVolume volume, string defaultProject) =>
        Users(volume, "/1.0/profiles/", defaultProject);

    private static IEnumerable<(string Project, string Name)> Users(StorageVolume volume, string prefix, string defaultProject)
    {
        foreach (var url in volume.UsedBy)
        {
            if (!url.StartsWith(prefix, StringComparison.Ordinal)) continue;
            var uri = new Uri(new Uri("http://incus"), url);
            var name = Uri.UnescapeDataString(uri.AbsolutePath[prefix.Length..]);
            if (name.Contains('/')) continue; // an instance snapshot
            yield return (System.Web.HttpUtility.ParseQueryString(uri.Query)["project"] ?? defaultProject, name);
        }
    }

    /// <summary>
    /// The instances using a volume that are running (or frozen): its writers. An instance can use it directly or
    /// through a profile; used_by lists only the profile then, so the profile's own users count too.
    /// </summary>
    public static async Task<List<IncusInstance>> RunningUsersAsync(this IncusClient client, StorageVolume volume, string defaultProject, CancellationToken ct)
    {
        var users = new List<IncusInstance>();
        var instances = volume.InstanceUsers(defaultProject).ToList();
        foreach (var (profileProject, profileName) in volume.ProfileUsers(defaultProject))
        {
            var profile = await client.TryGetAsync(IncusPath.Scoped($"/1.0/profiles/{IncusPath.Esc(profileName)}", profileProject),
                IncusJsonContext.Default.IncusProfile, ct).ConfigureAwait(false);
            if (profile?.UsedBy is not null)
                instances.AddRange(new StorageVolume { UsedBy = profile.UsedBy }.InstanceUsers(profileProject));
        }
        foreach (var (project, name) in instances.Distinct())
        {
            var instance = await client.TryGetAsync(IncusPath.Instance(project, name), IncusJsonContext.Default.IncusInstance, ct).ConfigureAwait(false);
            if (instance?.Status is "Running" or "Frozen") users.Add(instance);
        }
        return users;
    }

    /// <summary>PUT .../state (start, stop, freeze, unfreeze) and waits for it to finish.</summary>
    public static Task ChangeStateAsync(this IncusClient client, string project, string name, string action, CancellationToken ct,
        bool force = false, int timeoutSeconds = 30) =>
        client.ExecuteAsync(HttpMethod.Put, IncusPath.Instance(project, name, "/state"),
            new InstanceStateRequest { Action = action, Timeout = timeoutSeconds, Force = force }, IncusJsonContext.Default.InstanceStateRequest, null, ct);
}
