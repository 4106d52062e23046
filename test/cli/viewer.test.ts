// --view: one ffplay per participant, titled with the name, fed on stdin. There is no display
// here, so ffplay runs with SDL's dummy video driver: real processes, no window.
import { afterEach, describe, expect, test } from "bun:test";
import { Viewer, viewArgs } from "../../client/outputs/viewer.ts";
import { available, FFPLAY } from "../../harness/tools.ts";
import { makeJpeg } from "../fixtures/client/jpeg.ts";

let viewer: Viewer | null = null;
afterEach(async () => {
  await viewer?.close();
  viewer = null;
});

const pidsOf = (title: string): number[] => {
  const result = Bun.spawnSync(["pgrep", "-f", title]);
  return result.stdout.toString().trim().split("\n").filter(Boolean).map(Number);
};

describe("viewer", () => {
  test("arguments: window titled with the name, MJPEG from stdin, low delay", () => {
    const args = viewArgs("framecast: Ann");
    expect(args.join(" ")).toContain("-window_title framecast: Ann");
    expect(args.slice(-4)).toEqual(["-f", "mjpeg", "-i", "pipe:0"]);
    expect(args).toContain("-framedrop");
  });

  test.skipIf(!available("ffplay", FFPLAY !== null))(
    "opens one ffplay per participant and closes them all",
    async () => {
      const ffplay = FFPLAY as string;
      const logs: string[] = [];
      viewer = new Viewer(ffplay, (line) => logs.push(line), {
        ...process.env,
        SDL_VIDEODRIVER: "dummy",
      });
      const tag = `viewtest${process.pid}`;
      const ann = { id: 1, name: `${tag}-ann` };
      const bo = { id: 2, name: `${tag}-bo` };
      for (let i = 0; i < 10; i++) {
        viewer.frame(ann, makeJpeg(i));
        viewer.frame(bo, makeJpeg(i + 1));
        await Bun.sleep(40);
      }
      expect(viewer.windows).toBe(2);
      expect(pidsOf(`${tag}-ann`)).toHaveLength(1);
      expect(pidsOf(`${tag}-bo`)).toHaveLength(1);
      // ffplay decoded and kept running (it exits with an error on a bad stream).
      expect(logs.filter((line) => line.includes("failed"))).toEqual([]);
      viewer.end(ann);
      await Bun.sleep(1500);
      expect(pidsOf(`${tag}-ann`)).toHaveLength(0);
      await viewer.close();
      expect(pidsOf(tag)).toHaveLength(0);
      expect(logs.filter((line) => line.startsWith("showing"))).toHaveLength(2);
    },
    20_000,
  );
});
