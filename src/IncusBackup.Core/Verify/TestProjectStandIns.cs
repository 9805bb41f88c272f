using IncusBackup.Archive;
using IncusBackup.Config;
using IncusBackup.Incus;
using IncusBackup.Repository;
using IncusBackup.Restore;

namespace IncusBackup.Verify;

/// <summary>
/// What an instance needs in a throwaway test project besides itself, so that a real instance (one with its
/// project's profiles and attached custom volumes) imports and starts there: its profiles as the backup recorded
/// them (the default profile's root disk included), and an empty stand-in for each custom volume it attaches (the
/// volumes have backups of their own; the test checks the instance).
/// </summary>
internal static class TestProjectStandIns
{
    /// <summary>Creates them in <paramref name="project"/>; returns what it made, for the Restore check's message ("" when nothing).</summary>
    public static async Task<string> PrepareAsync(IIncusServer server, IBackupRepository repository, BackupRecord backup, string project, CancellationToken ct)
    {
        var seal = await BackupVerifier.ReadSealAsync(repository, backup, ct).ConfigureAwait(false);
        BackupIndex index;
        await using (var archive = await repository.OpenReadAsync(backup, seal.Manifest.Files[0].Name, ct).ConfigureAwait(false))
        {
            index = await BackupIndex.ReadIndexAsync(archive, ct).ConfigureAwait(false);
        }

        var profiles = new List<string>();
        foreach (var profile in BackupProfiles.Read(index))
        {
            var name = profile["name"]!.GetValue<string>();
            if (name == "default")
            {
                profile.Remove("name");
                await server.Config.UpdateAsync(ConfigKind.Profile, project, name, profile, null, ct).ConfigureAwait(false);
            }
            else
            {
                await server.Config.CreateAsync(ConfigKind.Profile, project, profile, ct).ConfigureAwait(false);
            }
            profiles.Add(name);
        }

        var volumes = new List<string>();
        foreach (var (pool, volume, block) in InstanceRestoreStrategy.AttachedVolumes(seal.Manifest).Distinct())
        {
            if (await server.StorageVolumes.TryGetCustomAsync(project, pool, volume, ct).ConfigureAwait(false) is not null) continue;
            await server.StorageVolumes.CreateCustomAsync(project, pool, volume, block ? "block" : "filesystem", ct).ConfigureAwait(false);
            volumes.Add($"{pool}/{volume}");
        }

        var made = new List<string>();
        if (profiles.Count > 0) made.Add($"{(profiles.Count == 1 ? "its profile" : "its profiles")} {Join(profiles)} from the backup");
        if (volumes.Count > 0) made.Add($"{(volumes.Count == 1 ? "an empty stand-in for the volume" : "empty stand-ins for the volumes")} {Join(volumes)}");
        return Join(made);
    }

    private static string Join(IReadOnlyList<string> items) =>
        items.Count <= 1 ? string.Concat(items) : $"{string.Join(", ", items.Take(items.Count - 1))} and {items[^1]}";
}
