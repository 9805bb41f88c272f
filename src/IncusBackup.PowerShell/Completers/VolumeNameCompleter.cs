using System.Collections;

namespace IncusBackup.PowerShell.Completers;

/// <summary>Completes custom volumes as "pool/name" (or just "name" when -Pool is bound).</summary>
public sealed class VolumeNameCompleter : CompleterBase
{
    protected override IEnumerable<string> Names(string commandName, string parameterName, IDictionary boundParameters)
    {
        var project = ProjectOf(boundParameters);
        var pool = boundParameters["Pool"] as string;
        return IncusNameCache.Get(boundParameters, $"volumes:{project}:{pool}", async (server, ct) =>
        {
            var pools = await server.StoragePools.ListAsync(ct).ConfigureAwait(false);
            var names = new List<string>();
            foreach (var p in pools.Where(p => pool is null || p.Name == pool))
            {
                var volumes = await server.StorageVolumes.ListCustomAsync(project, p.Name, ct).ConfigureAwait(false);
                names.AddRange(volumes.Select(v => pool is null ? $"{p.Name}/{v.Name}" : v.Name));
            }
            return names;
        });
    }
}
