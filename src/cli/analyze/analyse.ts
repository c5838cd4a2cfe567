import { parseDocument } from './documents.js';
import { GC_EVERY_CHARS } from './memory.js';
import { type Report, ReportBuilder } from './report.js';
import type { Source } from './sources.js';
import { splitStream } from './split.js';

/**
 * Reads every source document by document and analyses each as it is read: memory holds one
 * document, the findings and compact indexes, never the whole input. `collectGarbage`, when
 * given, runs after every {@link GC_EVERY_CHARS} characters read.
 */
export async function analyseSources(sources: Source[], collectGarbage?: () => void): Promise<Report> {
  const builder = new ReportBuilder();
  let read = 0;
  for (const source of sources)
    for await (const raw of splitStream(source.chunks())) {
      parseDocument(source.name, raw, builder);
      read += raw.text.length;
      if (collectGarbage && read >= GC_EVERY_CHARS) {
        collectGarbage();
        read = 0;
      }
    }
  return builder.finish();
}
