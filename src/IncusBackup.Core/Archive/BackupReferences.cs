using YamlDotNet.RepresentationModel;

namespace IncusBackup.Archive;

/// <summary>
/// The server objects a backup refers to (sorted, distinct), so a restore can check they exist before uploading:
/// a missing profile or network only fails after the whole upload.
/// </summary>
public sealed record BackupReferences(
    IReadOnlyList<string> Pools,
    IReadOnlyList<string> Networks,
    IReadOnlyList<string> NicParents,
    IReadOnlyList<string> Profiles,
    IReadOnlyList<string> Projects)
{
    internal static BackupReferences FromIndex(YamlMappingNode index)
    {
        var found = new Dictionary<ReferenceKind, SortedSet<string>>();
        BackupYamlReferences.VisitIndex(index, site =>
        {
            if (site.Kind == ReferenceKind.Name || string.IsNullOrEmpty(site.Node.Value)) return;
            var kind = site.Kind == ReferenceKind.OwnPool ? ReferenceKind.Pool : site.Kind;
            if (!found.TryGetValue(kind, out var names)) found[kind] = names = new SortedSet<string>(StringComparer.Ordinal);
            names.Add(site.Node.Value);
        });
        IReadOnlyList<string> Of(ReferenceKind kind) => found.TryGetValue(kind, out var names) ? [.. names] : [];
        return new BackupReferences(
            Of(ReferenceKind.Pool), Of(ReferenceKind.Network), Of(ReferenceKind.NicParent), Of(ReferenceKind.Profile), Of(ReferenceKind.Project));
    }
}
