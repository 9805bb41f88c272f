using IncusBackup.Errors;

namespace IncusBackup.Repository;

/// <summary>The error a backend raises when a copy would be published at a version the repository holds already.</summary>
internal static class VersionTaken
{
    public static IncusBackupException Error(string repository, BackupManifest manifest, string location) =>
        new(ErrorIds.BackupVersionConflict, ErrorKind.ResourceExists,
            $"{repository} already holds a backup of {manifest.Kind} {manifest.Project}/{manifest.Name} at version {manifest.Version} ('{location}'); nothing was overwritten.",
            location, "Compare the two with Get-IncusBackup -Version; remove the one in the destination (Remove-IncusBackup) if it should be replaced.");
}
