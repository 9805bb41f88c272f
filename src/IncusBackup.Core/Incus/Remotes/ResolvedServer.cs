namespace IncusBackup.Incus.Remotes;

/// <summary>A server to connect to, found from a <see cref="ConnectionRequest"/>, before anything is sent to it.</summary>
public sealed record ResolvedServer
{
    /// <summary>The remote's name; null for -Server.</summary>
    public string? RemoteName { get; init; }

    /// <summary>How to open the connection (the caller adds its trace).</summary>
    public required IncusConnectionOptions Options { get; init; }

    /// <summary>The remote's <c>project</c>: the project to work in when -Project is not given.</summary>
    public string? Project { get; init; }

    /// <summary>Whether this is the machine's own socket reached without any remote or server named (the default before remotes existed).</summary>
    public bool IsImplicitLocal { get; init; }
}
