namespace IncusBackup.Incus;

/// <summary>Who uses a custom volume, read from its used_by list (instances directly, or through profiles).</summary>
public static class VolumeUsers
{
    /// <summary>The instances (not snapshots, not profiles) in a volume's used_by list, as (project, name).</summary>
    public static IEnumerable<(string Project, string Name)> InstanceUsers(this StorageVolume volume, string defaultProject) =>
        Users(volume.UsedBy, "/1.0/instances/", defaultProject);

    /// <summary>The profiles in a volume's used_by list (profiles whose disk devices use it), as (project, name).</summary>
    public static IEnumerable<(string Project, string Name)> ProfileUsers(this StorageVolume volume, string defaultProject) =>
        Users(volume.UsedBy, "/1.0/profiles/", defaultProject);

    /// <summary>
    /// The instances using a volume that are running (or frozen): its writers. An instance can use it directly or
    /// through a profile; used_by lists only the profile then, so the profile's own users count too.
    /// </summary>
    public static async Task<List<IncusInstance>> RunningUsersAsync(this IIncusServer server, StorageVolume volume, string defaultProject, CancellationToken ct)
    {
        var instances = volume.InstanceUsers(defaultProject).ToList();
        foreach (var (profileProject, profileName) in volume.ProfileUsers(defaultProject))
        {
            var profile = await server.Profiles.TryGetAsync(profileProject, profileName, ct).ConfigureAwait(false);
            if (profile?.UsedBy is not null) instances.AddRange(Users(profile.UsedBy, "/1.0/instances/", profileProject));
        }
        var running = new List<IncusInstance>();
        foreach (var (project, name) in instances.Distinct())
        {
            var instance = await server.Instances.TryGetAsync(project, name, ct).ConfigureAwait(false);
            if (instance?.IsActive == true) running.Add(instance);
        }
        return running;
    }

    private static IEnumerable<(string Project, string Name)> Users(IEnumerable<string> urls, string prefix, string defaultProject)
    {
        foreach (var url in urls)
        {
            if (!url.StartsWith(prefix, StringComparison.Ordinal)) continue;
            var uri = new Uri(new Uri("http://incus"), url);
            var name = Uri.UnescapeDataString(uri.AbsolutePath[prefix.Length..]);
            if (name.Contains('/')) continue; // an instance snapshot
            yield return (System.Web.HttpUtility.ParseQueryString(uri.Query)["project"] ?? defaultProject, name);
        }
    }
}
