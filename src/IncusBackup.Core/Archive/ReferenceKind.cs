namespace IncusBackup.Archive;

/// <summary>What a name found in backup YAML refers to, which decides how a <see cref="RestoreMapping"/> maps it.</summary>
internal enum ReferenceKind
{
    /// <summary>The pool the backed-up instance or volume itself lives in (index, pool object, root disk).</summary>
    OwnPool,
    /// <summary>Any other pool reference (non-root disks, profile devices).</summary>
    Pool,
    /// <summary>A NIC's <c>network</c>: a managed network.</summary>
    Network,
    /// <summary>A NIC's <c>parent</c>: a host interface or a network; mapped with the network map too.</summary>
    NicParent,
    Profile,
    Project,
    /// <summary>The instance or volume name.</summary>
    Name,
}
