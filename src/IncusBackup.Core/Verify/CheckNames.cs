namespace IncusBackup.Verify;

/// <summary>The names of Test-IncusBackup's checks, in the order they are reported. Scripts match on these.</summary>
public static class CheckNames
{
    /// <summary>The archive and the manifest against checksums.txt.</summary>
    public const string Checksums = "Checksums";

    /// <summary>manifest.json parses, has a schema this module reads, and agrees with where the backup sits.</summary>
    public const string Manifest = "Manifest";

    /// <summary>The archive decompresses and its tar can be walked to the end.</summary>
    public const string Archive = "Archive";

    /// <summary>What the archive holds agrees with the manifest (index.yaml; an image's fingerprint; config files).</summary>
    public const string Content = "Content";

    /// <summary>-Restore: imported into a throwaway project, found there with its snapshots, removed again.</summary>
    public const string Restore = "Restore";
}
