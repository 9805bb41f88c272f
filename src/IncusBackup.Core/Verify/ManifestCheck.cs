using IncusBackup.Errors;
using IncusBackup.Repository;

namespace IncusBackup.Verify;

/// <summary>
/// The Manifest check: manifest.json parses, has a schema this module reads and the fields every backup needs, and
/// agrees with where the backup sits (kind, project, pool, name and version: the folder the repository would put
/// such a backup in is the one it is in).
/// </summary>
internal static class ManifestCheck
{
    public static TestCheck Evaluate(StoredSeal seal, BackupRecord backup, IBackupRepository repository)
    {
        var problems = new CheckProblems(CheckNames.Manifest);
        if (seal.Manifest is not { } manifest)
        {
            problems.Add(ErrorIds.ManifestInvalid, seal.ManifestError ?? $"{BackupSeal.ManifestFile} cannot be read");
            return problems.Result("");
        }
        void Problem(string message) => problems.Add(ErrorIds.ManifestInvalid, message);

        if (manifest.SchemaVersion != BackupManifest.CurrentSchema)
            Problem($"schema version {manifest.SchemaVersion} is not one this module reads ({BackupManifest.CurrentSchema})");
        var kindKnown = Enum.TryParse<BackupKind>(manifest.Kind, ignoreCase: true, out var kind) && Enum.IsDefined(kind) && !int.TryParse(manifest.Kind, out _);
        if (!kindKnown) Problem($"kind '{manifest.Kind}' is not instance, volume, image or config");
        else if (kind != backup.Kind) Problem($"it is a {manifest.Kind} backup, but sits among {backup.Kind.ToString().ToLowerInvariant()} backups");
        Compare("project", manifest.Project, backup.Project, Problem);
        Compare("pool", manifest.Pool ?? "", backup.Pool ?? "", Problem);
        Compare("name", manifest.Name, backup.Name, Problem);
        Compare("version", manifest.Version, backup.Version, Problem);
        if (string.IsNullOrEmpty(manifest.Name)) Problem("it names no resource");
        if (string.IsNullOrEmpty(manifest.Project)) Problem("it names no project");
        if (kindKnown && kind == BackupKind.Volume && string.IsNullOrEmpty(manifest.Pool)) Problem("a volume backup names no pool");
        if (!BackupVersion.TryParse(manifest.Version, out _)) Problem($"version '{manifest.Version}' is not YYYYMMDDThhmmssZ");
        CheckFiles(manifest, Problem);

        if (kindKnown && !problems.Any)
        {
            try
            {
                var expected = repository.LocationOf(new ResourceKey(kind, manifest.Project, manifest.Pool, manifest.Name), manifest.Version);
                if (!string.Equals(Normalize(expected), Normalize(backup.Location), StringComparison.Ordinal))
                    Problem($"it belongs in '{expected}', but sits in '{backup.Location}'");
            }
            catch (IncusBackupException e)
            {
                Problem(e.Message.TrimEnd('.'));
            }
        }
        // The identity is the folder's, already on the result; saying it again would only make the line longer.
        return problems.Result($"schema {manifest.SchemaVersion}, {manifest.Files.Count} file{(manifest.Files.Count == 1 ? "" : "s")}; "
            + $"kind, project, {(backup.Kind == BackupKind.Volume ? "pool, " : "")}name and version match its folder");
    }

    private static void CheckFiles(BackupManifest manifest, Action<string> problem)
    {
        if (manifest.Files.Count == 0)
        {
            problem("it lists no files");
            return;
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in manifest.Files)
        {
            if (string.IsNullOrEmpty(file.Name) || file.Name.Contains('/') || file.Name.StartsWith('.') || file.Name is BackupSeal.ManifestFile or BackupSeal.ChecksumsFile)
                problem($"it lists a file named '{file.Name}'");
            else if (!seen.Add(file.Name))
                problem($"it lists '{file.Name}' twice");
            if (file.Size < 0) problem($"'{file.Name}' has a negative size");
            if (file.Sha256.Length != 64 || !file.Sha256.All(char.IsAsciiHexDigit)) problem($"'{file.Name}' has no sha256");
        }
    }

    private static void Compare(string field, string recorded, string where, Action<string> problem)
    {
        if (!string.Equals(recorded, where, StringComparison.Ordinal))
            problem($"its {field} is '{recorded}', but the backup is listed as '{where}'");
    }

    private static string Normalize(string location) => location.TrimEnd('/');
}
