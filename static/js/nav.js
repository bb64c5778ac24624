// The main links at phone width are one sideways-scrolling row (static/css/base.css): the current page's
// link is brought into view so that it is not hidden past the right edge. Nothing happens on a wide screen.
(() => {
  const nav = document.querySelector(".site-nav");
  const current = nav && nav.querySelector('[aria-current="page"]');
  if (!current || nav.scrollWidth <= nav.clientWidth) return;
  nav.scrollLeft = current.offsetLeft - nav.offsetLeft - (nav.clientWidth - current.offsetWidth) / 2;
})();
