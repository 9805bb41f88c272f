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

    /// <summary>-Restore: imported into a throwaway (or the given test) project through the restore engine.</summary>
    public const string Restore = "Restore";

    /// <summary>-Restore: the imported instance or volume exists with the backup's snapshots, type and config keys.</summary>
    public const string Restored = "Restored";

    /// <summary>-Start (or -Script): the restored instance starts and reaches Running within the timeout.</summary>
    public const string Start = "Start";

    /// <summary>-Script: the command run inside the restored instance exits 0.</summary>
    public const string Script = "Script";

    /// <summary>-Restore: everything the test made (instance or volume, the throwaway project) is deleted again.</summary>
    public const string Cleanup = "Cleanup";
}
