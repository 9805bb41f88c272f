namespace IncusBackup.Configuration;

/// <summary>A parsed -Target: the backend scheme, its location in that backend's terms, and where the value came from.</summary>
public sealed record RepositoryTarget(string Scheme, string Location, string Source)
{
    /// <summary>The repository's password when the caller gave one (-RepositoryCredential); null: the backend's own sources.</summary>
    public string? Password { get; init; }

    public override string ToString() => $"{Scheme}:{Location}";
}
