namespace IncusBackup.Archive;

/// <summary>What a backup holds, from index.yaml <c>type</c>.</summary>
public enum BackupType
{
    /// <summary>A type this code does not know; see <see cref="BackupIndex.Type"/>.</summary>
    Unknown,
    Container,
    VirtualMachine,
    /// <summary>A custom storage volume.</summary>
    Custom,
}
