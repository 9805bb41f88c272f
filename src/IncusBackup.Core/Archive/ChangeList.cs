namespace IncusBackup.Archive;

/// <summary>Human-readable changes in first-seen order; index.yaml and each backup.yaml repeat the same ones, so duplicates are dropped.</summary>
internal sealed class ChangeList
{
    private readonly List<string> _items = [];
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);

    public IReadOnlyList<string> Items => _items;

    public void Add(string change)
    {
        if (_seen.Add(change)) _items.Add(change);
    }
}
