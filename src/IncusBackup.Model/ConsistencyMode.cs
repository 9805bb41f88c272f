namespace IncusBackup;

/// <summary>How a running source is held still while the server reads it (-Consistency).</summary>
public enum ConsistencyMode
{
    /// <summary>Snapshot where a copy is copy-on-write (btrfs, zfs, lvm thin, ceph), Freeze elsewhere.</summary>
    Auto,

    /// <summary>Export a copy-on-write copy of the source; the source keeps running.</summary>
    Snapshot,

    /// <summary>Freeze the running writers while the server reads the source.</summary>
    Freeze,

    /// <summary>Read the source live (-NoSnapshot).</summary>
    None,
}
