using System.Collections;

namespace IncusBackup.Tests.Infrastructure;

/// <summary>
/// Append-only list that is safe to read while it is being written: host callbacks run on the pipeline thread,
/// while a test (or a StopWhen condition) reads on its own thread.
/// </summary>
public sealed class RecordedList<T> : IReadOnlyList<T>
{
    private readonly List<T> _items = [];
    private readonly Lock _gate = new();

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _items.Count;
            }
        }
    }

    public T this[int index]
    {
        get
        {
            lock (_gate)
            {
                return _items[index];
            }
        }
    }

    public void Add(T item)
    {
        lock (_gate)
        {
            _items.Add(item);
        }
    }

    /// <summary>A copy of everything recorded so far.</summary>
    public IReadOnlyList<T> Snapshot() => Since(0);

    /// <summary>A copy of what was recorded from position <paramref name="start"/> on (see <see cref="Count"/>).</summary>
    public IReadOnlyList<T> Since(int start)
    {
        lock (_gate)
        {
            return start >= _items.Count ? [] : _items.GetRange(start, _items.Count - start).AsReadOnly();
        }
    }

    public IEnumerator<T> GetEnumerator() => Snapshot().GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
